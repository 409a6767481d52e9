"""Which meetings are one series, whatever their titles say."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from digest.notes.parse import series_name
from digest.tracking.series import SeriesMeeting, resolve_series, series_key


def meetings(
    name: str,
    first: str,
    count: int,
    *,
    every: int = 7,
    origin: str = "title",
    source: str = "heron",
    path: str = "notes/{day}.md",
) -> list[SeriesMeeting]:
    start = date.fromisoformat(first)
    out = []
    for n in range(count):
        day = start + timedelta(days=every * n)
        out.append(
            SeriesMeeting(f"{source}:{name}:{day}", source, path.format(day=day), name, origin, day)
        )
    return out


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Learn Team Agenda 8/17", "Learn Team Agenda"),
        ("🚀 DRAFT - Core Sync", "Core Sync"),
        ("[WIP] Q3 planning", "Q3 Planning"),
        ("2031-03-04 Heron Maintainers (monthly)", "Heron Maintainers"),
        ("Heron Community Call - Meeting 6th June 2031", "Heron Community Call"),
        ("July 28, 2031 @ 4pm CEST", ""),  # only when: no series name
        ("2031-04-07 Agenda", ""),  # only generic words
    ],
)
def test_titles_lose_dates_drafts_and_decoration(title: str, name: str) -> None:
    assert series_name(title) == name


def test_keys_ignore_generic_words_and_spelled_out_acronyms() -> None:
    assert series_key("Heron Technical Steering Committee (TSC) Meeting") == {"heron", "tsc"}
    assert series_key("Heron TSC") == {"heron", "tsc"}
    # Kinds of groups every project writes either way.
    assert series_key("Heron working group") == series_key("Heron WG") == {"heron", "wg"}
    assert series_key("Docs Special Interest Group") == series_key("SIG Docs")
    assert series_key("Heron Weekly Sync") == series_key("Heron call notes") == {"heron"}


def test_a_renamed_series_continues_under_its_newest_name() -> None:
    old = meetings("Heron Foundation TSC", "2031-01-01", 10)
    new = meetings("Heron Technical Steering Committee (TSC)", "2031-03-19", 10)
    found = resolve_series(old + new)
    assert found.names() == ["Heron Technical Steering Committee (TSC)"]
    assert found.aliases["Heron Technical Steering Committee (TSC)"] == {
        "Heron Foundation TSC",
        "Heron Technical Steering Committee (TSC)",
    }
    assert found.matching("foundation") == ["Heron Technical Steering Committee (TSC)"]


def test_two_series_that_run_side_by_side_stay_apart() -> None:
    # Sharing the project's name, meeting in the same weeks: two kinds of meeting.
    core = meetings("Heron Core Maintainers", "2031-01-01", 12, every=28)
    call = meetings("Heron Community Call", "2031-01-08", 40)
    learn = meetings("Heron Learn Developer", "2031-01-01", 12, every=28)
    co = meetings("Heron Learn & Co Bi-weekly", "2031-02-05", 10, every=14)
    assert len(resolve_series(core + call).names()) == 2
    assert len(resolve_series(learn + co).names()) == 2


def test_a_spelling_variant_may_alternate_with_the_other_spelling() -> None:
    a = meetings("Heron Foundation TSC", "2031-01-01", 10, every=14)
    b = meetings("Heron.js Foundation TSC", "2031-01-08", 10, every=14)
    assert len(resolve_series(a + b).names()) == 1


def test_a_configured_series_name_is_never_merged() -> None:
    a = meetings("Heron Maintainers", "2031-01-01", 5)
    b = meetings("Heron Maintainers Sync", "2031-03-01", 5, origin="override")
    assert len(resolve_series(a + b).names()) == 2


def test_a_titleless_note_takes_the_series_of_its_titled_siblings() -> None:
    titled = meetings("Heron Community Call", "2031-01-01", 3, path="notes/release-1.{day.day}.md")
    plain = meetings("Meetings", "2031-02-01", 1, origin="fallback", path="notes/release-2.0.md")
    found = resolve_series(titled + plain)
    assert found.of(plain[0].id, "Meetings") == "Heron Community Call"
    lonely = meetings("Standup", "2031-02-01", 1, origin="fallback", path="notes/standup-1.md")
    assert resolve_series(titled + lonely).of(lonely[0].id, "Standup") == "Standup"
