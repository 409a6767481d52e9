"""References: every way of pointing at one issue/PR is one key (GitHub's or another forge's)."""

from __future__ import annotations

import pytest

from digest.notes.refs import canonical_refs, plain_links, proposal_refs, proposal_written


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


@pytest.mark.parametrize(
    ("text", "refs"),
    [
        ("RFC 12 (async hooks): FCP started", ["RFC-12"]),
        ("SLEP006 in 1.2, see SLEP 6", ["SLEP-6"]),
        ("KEP-2433 graduation; PEP 703 and PEP-8", ["KEP-2433", "PEP-703", "PEP-8"]),
        ("ADR-0007 accepted", ["ADR-7"]),
        ("the RFC process", []),
        ("RFC 2119.1 wording", []),
        ("XRFC 12", []),
    ],
)
def test_numbered_proposals_are_keyed_however_their_number_is_written(
    text: str, refs: list[str]
) -> None:
    assert proposal_refs(text) == refs


def test_a_proposal_is_written_in_any_of_its_forms() -> None:
    assert proposal_written("SLEP-6", "the SLEP006 PR") is True
    assert proposal_written("SLEP-6", "SLEP 60") is False
    assert proposal_written("org/repo#6", "SLEP 6") is None  # no proposal
