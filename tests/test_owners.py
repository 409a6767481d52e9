"""Owners: the forms people write, and the brackets that are not people."""

from __future__ import annotations

import pytest

from digest.owners import find_owners


@pytest.mark.parametrize(
    ("text", "owners"),
    [
        ("[ada] open a tracking issue", ["ada"]),
        ("[Ada, bo] split the module", ["ada", "bo"]),
        ("[AdaM/bo-lind] split the module", ["adam", "bo-lind"]),
        ("cache eviction (in flight @ChenWu)", ["chenwu"]),
        ("ask [@adamo](https://github.com/adamo) about it", ["adamo"]),
        ("metrics exporter (JK)", ["jk"]),
        ("metrics exporter -> in progress (Ada)", ["ada"]),
        ("SC: we should vote", ["sc"]),
        ("**Bo**: I like it", ["bo"]),
        ("Ada to write the guide", ["ada"]),
        ("[bo] [cli#8](https://github.com/orchard-dev/cli/pull/8)", ["bo"]),
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
