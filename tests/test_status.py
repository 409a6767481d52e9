"""Status words: where people write them, and the look-alikes that are not."""

from __future__ import annotations

import pytest

from digest.config import TrackingConfig
from digest.status import find_status


@pytest.mark.parametrize(
    ("text", "status", "phrase"),
    [
        ("falcon loader -> in flight", "open", "in flight"),
        ("ARM64 emulation done (wohoo)", "done", "done"),
        ("Make errors friendlier -> TBD", "open", "TBD"),
        ("Done in 0.38", "done", "Done in 0.38"),
        ("storage rewrite merged", "done", "merged"),
        ("v2 released", "done", "released"),
        ("shipped", "done", "shipped"),
        ("resolved", "done", "resolved"),
        ("in progress", "open", "in progress"),
        ("cache layer [WIP]", "open", "WIP"),
        ("docs [to-do]", "open", "to-do"),
        ("TODO: the checklist", "open", "TODO"),
        ("review pending", "open", "pending"),
        ("blocked", "open", "blocked"),
        ("on hold", "open", "on hold"),
        ("not started", "open", "not started"),
        ("delayed", "open", "delayed"),
        ("installer -- postponed to 2.6", "open", "postponed to 2.6"),
        ("partially done", "open", "partially done"),
        ("not done", "open", "not done"),
        ("done?", "open", "done?"),
        ("loader PR merged?", "open", "merged"),
        ("Review (-> ETA end of April)", "open", "ETA end of April"),
        ("a bit late", "open", "a bit late"),
        ("old flags -> dropped", "dropped", "dropped"),
        ("won't do", "dropped", "won't do"),
        ("call cancelled", "dropped", "cancelled"),
        ("abandoned", "dropped", "abandoned"),
        ("rejected", "dropped", "rejected"),
        ("stable", "done", "stable"),
        ("In a good shape, stable tentatively for 3.0", "open", "tentatively"),
    ],
)
def test_status_phrases(text: str, status: str, phrase: str) -> None:
    assert find_status(text) == (status, phrase)


@pytest.mark.parametrize(
    "text",
    [
        "what can be done about flaky tests?",
        "Various PRs pending in the core and plugins, see the list of open reviews here",
        "Open up the plugin system more",
        "we need to get it done before the freeze and then plan the next steps together",
        "Done: the metrics endpoint",
        "",
    ],
)
def test_no_status(text: str) -> None:
    assert find_status(text) is None


def test_configured_words_add_to_the_defaults() -> None:
    tracking = TrackingConfig(done_words=["sorted"], dropped_words=["parked"])
    assert find_status("venue -> sorted", tracking) == ("done", "sorted")
    assert find_status("venue -> parked", tracking) == ("dropped", "parked")
    assert find_status("venue -> sorted") is None
