"""References: every way of pointing at one issue/PR is one key (GitHub's or another forge's)."""

from __future__ import annotations

import pytest

from digest.notes.refs import canonical_refs, plain_links


@pytest.mark.parametrize(
    "text",
    [
        "https://github.com/Orchard-Dev/Orchard/issues/512",
        "see https://github.com/orchard-dev/orchard/pull/512/files#diff-3",
        "https://github.com/orchard-dev/orchard/pull/512#issuecomment-99",
        "https://github.com/orchard-dev/orchard/pull/512#discussion_r1344311159",
        "https://github.com/orchard-dev/orchard/issues/512?q=x.",
        "[the issue](https://github.com/orchard-dev/orchard/discussions/512)",
        "orchard-dev/orchard#512",
        "fixed in orchard#512.",
    ],
)
def test_forms_of_one_reference(text: str) -> None:
    assert canonical_refs(text, "orchard-dev") == ["orchard-dev/orchard#512"]


def test_order_dedupe_and_short_form_needs_an_org() -> None:
    text = "cli#7 then https://github.com/orchard-dev/orchard/issues/1 and orchard#1 and cli#7"
    assert canonical_refs(text, "orchard-dev") == ["orchard-dev/cli#7", "orchard-dev/orchard#1"]
    assert canonical_refs("cli#7", "") == []


def test_not_references() -> None:
    text = "https://github.com/orchard-dev/orchard/blob/main/README.md#L10 and #42 and C#"
    assert canonical_refs(text, "orchard-dev") == []


def test_plain_links_drop_fragments_and_github_issues() -> None:
    text = (
        "[roadmap](https://orchard.example.org/roadmap#goals), "
        "https://github.com/orchard-dev/orchard/issues/5 "
        "https://github.com/orchard-dev/orchard/milestone/9. "
        "(https://orchard.example.org/roadmap)"
    )
    assert plain_links(text) == [
        "https://orchard.example.org/roadmap",
        "https://github.com/orchard-dev/orchard/milestone/9",
    ]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("https://gitlab.com/Heron/core/-/issues/12", "gitlab.com/heron/core/-/issues/12"),
        (
            "see https://gitlab.example.org/heron/core/-/issues/12#note_3 .",
            "gitlab.example.org/heron/core/-/issues/12",
        ),
        (
            "https://gitlab.com/heron/sub/core/-/merge_requests/7/diffs",
            "gitlab.com/heron/sub/core/-/merge_requests/7",
        ),
        ("https://codeberg.org/heron/core/pulls/99/files", "codeberg.org/heron/core/issues/99"),
        ("https://codeberg.org/heron/core/issues/99", "codeberg.org/heron/core/issues/99"),
        (
            "https://issues.example.org/jira/browse/HERON-1234",
            "issues.example.org/jira/browse/heron-1234",
        ),
        (
            "https://heron.atlassian.net/browse/HRN-7?focusedCommentId=1",
            "heron.atlassian.net/browse/hrn-7",
        ),
    ],
)
def test_another_forges_issue_is_keyed_by_its_address(text: str, key: str) -> None:
    assert canonical_refs(text, "heron") == [key]
    assert plain_links(text) == []  # a reference, not a link besides it


def test_an_issues_page_of_any_other_site_is_a_plain_link() -> None:
    text = "https://bugs.example.org/heron/issues/5"
    assert canonical_refs(text, "heron") == []
    assert plain_links(text) == [text]
