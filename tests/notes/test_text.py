"""plain_text: the one way readers of notes see inline Markdown as words."""

from __future__ import annotations

import pytest

from digest.notes.text import blank_links, plain_text


@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        ("[**Core** sync](https://example.org/x)", "Core sync"),
        ("![logo](logo.png) Falco", "logo Falco"),
        ("*in progress* ~~late~~ `eta`", "in progress late eta"),
        (
            "see https://example.org/a and www.example.org/b",
            "see https://example.org/a and www.example.org/b",
        ),
    ],
)
def test_links_become_their_text_and_emphasis_marks_go(markdown: str, plain: str) -> None:
    assert plain_text(markdown) == plain


def test_urls_and_code_can_be_dropped_as_not_words() -> None:
    text = "done, see https://example.org/pr/1 and `status: done`"
    assert plain_text(text, urls=False) == "done, see   and status: done"
    assert plain_text(text, urls=False, code=False) == "done, see   and  "


def test_blank_links_keeps_offsets() -> None:
    text = "[@ada](https://github.com/ada) will https://x.org/y do it (bo)"
    blanked = blank_links(text)
    assert len(blanked) == len(text)
    assert blanked.index("will") == text.index("will")
    assert blanked.strip().startswith("will") and "https" not in blanked


def test_an_agendas_time_box_is_not_part_of_a_title() -> None:
    from digest.notes.text import without_time_box

    assert without_time_box("[Marco] KEP-2040: beta status (10 min)") == (
        "[Marco] KEP-2040: beta status"
    )
    assert without_time_box("Release plan [5m]") == "Release plan"
    assert without_time_box("Talk (~10-15 mins) about x") == "Talk about x"
    assert without_time_box("Fix the cache (#420)") == "Fix the cache (#420)"
    assert without_time_box("(10 min)") == "(10 min)"  # nothing else to show
    # A clock slot before the topic: "10:50 – Release planning".
    assert without_time_box("10:50 – Release 3.2 planning") == "Release 3.2 planning"
    assert without_time_box("14h00-14h30 Budget") == "Budget"
    assert without_time_box("1.30 release notes") == "1.30 release notes"  # a version
    assert without_time_box("10:00") == "10:00"
    # Who brings the topic stays: "(Bo, 10 min)" reads "(Bo)".
    assert without_time_box("CI runners (Bo, 10 min)") == "CI runners (Bo)"
    assert without_time_box("CI runners (15 mins, @ana)") == "CI runners (@ana)"
    assert without_time_box("Release (2.0, 10 min)") == "Release (2.0, 10 min)"
