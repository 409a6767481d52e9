"""Owners: the forms people write, and the brackets that are not people."""

from __future__ import annotations

import pytest

from digest.notes.owners import find_owners, project_names


@pytest.mark.parametrize(
    ("text", "owners"),
    [
        ("[ada] open a tracking issue", ["ada"]),
        # An owner's label gives the names after it, and is no owner itself.
        ("Write the upgrade guide [owner: Ana]", ["ana"]),
        ("Write the upgrade guide (assignees: Ana, @bo)", ["ana", "bo"]),
        ("Owner: Ana — write the upgrade guide", ["ana"]),
        ("Owner: TBD — write the upgrade guide", []),
        # Zulip's mentions, as notes kept beside a Zulip stream write them.
        ("@**pnkfelix** to review the backport", ["pnkfelix"]),
        ("@_**Ana Lima** will write the summary", ["ana lima"]),
        ("@**Bo|4211** to bisect", ["bo"]),
        ("[Ada, bo] split the module", ["ada", "bo"]),
        ("[AdaM/bo-lind] split the module", ["adam", "bo-lind"]),
        ("cache eviction (in flight @ChenWu)", ["chenwu"]),
        ("ask [@adamo](https://github.com/adamo) about it", ["adamo"]),
        ("metrics exporter (JK)", ["jk"]),
        ("metrics exporter -> in progress (Ada)", ["ada"]),
        ("SC: we should vote", ["sc"]),
        ("**Bo**: I like it", ["bo"]),
        ("Ada to write the guide", ["ada"]),
        ("Rod and Mikeal to try it on the next call", ["rod", "mikeal"]),
        ("Ana, Bo and Cy will meet the auditors", ["ana", "bo", "cy"]),
        ("TJ is going to set up the mirror", ["tj"]),
        ("[bo] [cli#8](https://github.com/orchard-dev/cli/pull/8)", ["bo"]),
        # When it is due, written beside who does it, is no name.
        ("Write the migration guide (owner: Mirela, due 2026-04-24)", ["mirela"]),
        ("Fix the flaky upload test (Ana, due Friday)", ["ana"]),
        ("Rotate the tokens [ana, by 2026-05-01]", ["ana"]),
        # A file named in parentheses is no one.
        ("Fatima & Ravi to draft the security policy (SECURITY.md)", ["fatima", "ravi"]),
    ],
)
def test_owner_forms(text: str, owners: list[str]) -> None:
    assert find_owners(text) == owners


@pytest.mark.parametrize(
    "text",
    [
        "[the docs](https://orchard.example.org) need work",
        "JSON output options [to-do]",
        "[proposal] new release cadence",
        "[WIP] [draft] storage layer",
        "a footnote[^1] here",
        "[ ] unchecked box text",
        "mail ada@example.org about it",
        "ARM64 builds done (wohoo)",
        "TODO: write the checklist",
        "[everyone] please review",
    ],
)
def test_not_owners(text: str) -> None:
    assert find_owners(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "**[URGENT]** licence exception request for the parser",
        "Items to be reviewed: the 2.1 milestone",
        "Try to open the plugin registry to outside authors",
        "Decided: 2.0 focuses on startup time",
        "Consensus: deprecate in 1.40, remove in 1.43",
        "Conclusion: first the vision statement",
        "Resolution: let it land",
        "Agreement: V8 tracks stable",
        "MINNOW: coverage script for the tide rules",
        "Incubation: due diligence checklist",
        "Welcome to the new reviewers!",
        "Moving to 2.1",
        "[tracking] the buoy feed rewrite",
        "[userspace] an agent without a kernel module",
        "No sync next week (KubeCon)",
        "Note on the parser advisory (CVE-2024-12345)",
        "Rewrite the exporter (Go)",
        "Add a section on tokens (CONTRIBUTING.md)",
        "Ship it (due Friday)",
        # A sentence's subject, not a person: "Solution is to …".
        "Solution is to have one shared asset",
        "Suggestion to reduce the quorum to a majority",
        # Passive: what is to happen to a thing.
        "SharedBuffers are going to be disabled for now",
        "Election will be kicking off soon",
    ],
)
def test_common_words_tags_places_and_identifiers_are_not_owners(text: str) -> None:
    assert find_owners(text) == []


def test_a_place_in_parentheses_is_not_an_owner() -> None:
    assert find_owners("[kai] Upcoming summit (London)") == ["kai"]


def test_the_projects_own_name_is_no_speaker() -> None:
    not_people = project_names("orchardsecurity")
    assert not_people == {"orchardsecurity", "orchard"}
    assert find_owners("Orchard: mocking library for unit tests", not_people=not_people) == []
    assert find_owners("Orchardctl: a new flag", not_people=not_people) == []
    assert find_owners("[orchard] website revamp", not_people=not_people) == []
    assert find_owners("Nadia: mocking library", not_people=not_people) == ["nadia"]


@pytest.mark.parametrize(
    ("text", "owners"),
    [
        ("**Mark**: the buoy feed is flaky", ["mark"]),
        ("packaging review (POP)", ["pop"]),
        ("[Minnow73] tide API", ["minnow73"]),
        ("[kai-lee, Ruth] split the CLI", ["kai-lee", "ruth"]),
        ("docs for the exporter (Spencer, Ada)", ["spencer", "ada"]),
    ],
)
def test_people_still_found_after_the_stop_lists(text: str, owners: list[str]) -> None:
    assert find_owners(text) == owners
