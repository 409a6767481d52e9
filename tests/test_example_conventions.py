"""The embedded default reads notes as maintainers write them.

The sample notes hold, besides the maintainers meetings and the community call, a
weekly stand-up (examples/notes/standup/: a bullet per person with "Done:",
"Blocked:" and "Next:") and the minutes of a fortnightly docs team meeting
(examples/notes/minutes/: attendees as initials, a review of the earlier action
items, speaker lines under each topic, decisions, a template chore and a
placeholder). These tests run the shipped config on a copy of them, as a user
does, and check what the digests say.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from test_examples import REPO, copy_project, digest, october

from digest.model import Digest

NOTES = REPO / "examples" / "notes"
STANDUP = "Lanternfish Stand-up"
DOCS = "Lanternfish Docs Team"
ALL_NOTES = sorted(p.relative_to(NOTES).as_posix() for p in NOTES.rglob("*.md"))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's quick start, run once: `digest send` on a copy of the shipped default."""
    root = copy_project(tmp_path_factory.mktemp("lanternfish"))
    digest(root, "send")
    return root


@pytest.fixture(scope="module")
def oct_digests(project: Path) -> dict[str, Any]:
    return october(project)


@pytest.fixture(scope="module")
def sep_digests(project: Path) -> dict[str, Any]:
    run = digest(project, "preview", "--period", "2026-09", "--format", "json")
    return {d["series"]: d for d in json.loads(run.stdout)}


def entries(data: dict[str, Any], *buckets: str) -> list[dict[str, Any]]:
    return [e for b in (buckets or Digest.BUCKETS) for e in data[b]]


def titled(data: dict[str, Any], words: str, *buckets: str) -> list[dict[str, Any]]:
    return [e for e in entries(data, *buckets) if words in e["title"]]


def test_the_stand_up_and_the_minutes_are_series_of_their_own(project: Path) -> None:
    sent = {p.parent.name for p in (project / "outbox").glob("*/*.eml")}
    for month in ("2026-08", "2026-09", "2026-10"):
        assert f"{month}-lanternfish-stand-up" in sent
        assert f"{month}-lanternfish-docs-team" in sent


@pytest.mark.parametrize("name", ALL_NOTES)
def test_every_sample_note_is_our_own_project(name: str) -> None:
    """test_examples checks the notes at the top; the series in folders too."""
    text = (NOTES / name).read_text()
    assert "Lanternfish" in text
    assert "falco" not in text.lower()


# ---- the stand-up -----------------------------------------------------------------


def test_done_in_october_resolves_the_next_of_september(oct_digests: dict[str, Any]) -> None:
    standup = oct_digests[STANDUP]
    # [ossi] "Next: write down the release checklist in `RELEASING.md`" (09-21, 09-28),
    # then "Done: release checklist in `RELEASING.md`" (10-05).
    (checklist,) = titled(standup, "release checklist in")
    assert checklist in standup["resolved"]
    assert checklist["status"] == "done"
    assert checklist["owners"] == ["ossi"]
    assert (checklist["first_seen"], checklist["times_raised"]) == ("2026-09-21", 3)
    # @tkemp: "Next: enrichment benchmarks on a 500-pod cluster" (09-28, 10-05), then
    # "Done: enrichment benchmarks on a 500-pod cluster: 3% more CPU" (10-12).
    (benchmarks,) = titled(standup, "enrichment benchmarks")
    assert benchmarks in standup["resolved"]
    assert benchmarks["first_seen"] == "2026-09-28"


def test_a_blocker_of_september_still_blocked_is_pending(oct_digests: dict[str, Any]) -> None:
    standup = oct_digests[STANDUP]
    (blocker,) = titled(standup, "Kubernetes cluster in CI")
    assert blocker in standup["pending"]
    assert (blocker["status"], blocker["status_phrase"]) == ("open", "Blocked")
    assert blocker["owners"] == ["tkemp"]
    assert blocker["first_seen"] == "2026-09-28"
    assert blocker["refs"] == ["lanternfish-dev/infra#41"]


def test_a_blocker_that_cleared_is_resolved(sep_digests: dict[str, Any]) -> None:
    # [ossi] blocked on CI minutes on 08-24 and 08-31; "Done: the foundation gave us
    # the CI minutes, …" on 09-07.
    standup = sep_digests[STANDUP]
    (minutes,) = titled(standup, "CI minutes")
    assert minutes in standup["resolved"]
    assert (minutes["first_seen"], minutes["times_raised"]) == ("2026-08-24", 3)


def test_stand_up_placeholders_are_no_items(oct_digests: dict[str, Any]) -> None:
    titles = {e["title"].strip().lower() for e in entries(oct_digests[STANDUP])}
    assert not titles & {"none", "-", ""}  # "Blocked: none", "Next: -", "Done: -"


def test_new_next_items_have_their_person_as_owner(oct_digests: dict[str, Any]) -> None:
    new = {e["title"]: e["owners"] for e in oct_digests[STANDUP]["new"]}
    assert new["retry and back-off settings for the OTLP output"] == ["priya"]
    assert new["remind the list of the 1.5 feature freeze on November 20"] == ["mara"]


# ---- the docs team minutes ----------------------------------------------------------


def test_a_tick_in_the_review_section_resolves_the_earlier_action(
    oct_digests: dict[str, Any],
) -> None:
    docs = oct_digests[DOCS]
    # "- [ ] ML: journald page: …" under Action items on 09-24, ticked under "Review of
    # last week's action items" on 10-08.
    (journald,) = titled(docs, "journald page")
    assert journald in docs["resolved"]
    assert journald["owners"] == ["ml"]
    assert (journald["first_seen"], journald["times_raised"]) == ("2026-09-24", 2)
    # "KA to write the style guide page: …" (08-27), left unticked twice, ticked on 10-08.
    (style,) = titled(docs, "style guide page")
    assert style in docs["resolved"]
    assert style["first_seen"] == "2026-08-27"
    # Still unticked in the review: still pending.
    (generator,) = titled(docs, "processors and default values")
    assert generator in docs["pending"]


def test_an_answer_or_an_outcome_closes_a_topic(
    oct_digests: dict[str, Any], sep_digests: dict[str, Any]
) -> None:
    # "ML: any objections to switching on October 12?" over "No objections."
    (theme,) = titled(oct_digests[DOCS], "Docs site move to the new theme")
    assert theme in oct_digests[DOCS]["resolved"]
    assert theme["status_phrase"] == "No objections"
    # "-> merged" and "removed from the agenda" as the last sub-bullet.
    (guide,) = titled(sep_digests[DOCS], "Upgrade guide for the")
    assert guide in sep_digests[DOCS]["resolved"] and guide["status"] == "done"
    (screenshots,) = titled(sep_digests[DOCS], "Screenshots of the Grafana dashboard")
    assert screenshots in sep_digests[DOCS]["resolved"] and screenshots["status"] == "dropped"


def _speaker_lines() -> list[str]:
    """What was said under the topics of the minutes: "  - JS: the preview is up, …"."""
    said: list[str] = []
    for note in sorted((NOTES / "minutes").glob("*.md")):
        for line in note.read_text().splitlines():
            m = re.match(r"^\s+- (?:[A-Z]{2}: )?(.+)$", line)
            if m and not line.lstrip("- ").startswith(("->", "[")):
                said.append(m.group(1))
    return said


def test_speaker_lines_are_never_items(
    oct_digests: dict[str, Any], sep_digests: dict[str, Any]
) -> None:
    said = _speaker_lines()
    assert "the README is 900 lines long" in said  # "  - LD: the README is 900 lines long"
    assert "+1" in said and "No objections." in said
    assert len(said) >= 20
    for data in (sep_digests[DOCS], oct_digests[DOCS]):
        titles = [e["title"] for e in entries(data)]
        for line in said:
            assert not [t for t in titles if line in t], f"a speaker line became an item: {line}"
        assert not [t for t in titles if re.match(r"^[A-Z]{2}: [a-z].*\?$", t)]


def test_attendees_are_no_items(oct_digests: dict[str, Any]) -> None:
    titles = " ".join(e["title"] for e in entries(oct_digests[DOCS]))
    assert "Mara Lind" not in titles and "Kirsi Aalto" not in titles


def test_the_chore_and_the_template_placeholder_are_no_items(
    oct_digests: dict[str, Any], sep_digests: dict[str, Any]
) -> None:
    # "- [x] The note-taker pushes these notes to the repository" in most notes, ticked
    # every time: a chore once the series has shown it three times (from September on).
    # "- [ ] <action-item>" left in the 09-10 note: an empty template slot.
    for data in (sep_digests[DOCS], oct_digests[DOCS]):
        titles = " ".join(e["title"] for e in entries(data))
        assert "note-taker pushes" not in titles
        assert "<action-item>" not in titles
        assert "action-item" not in titles


def test_a_stated_decision_is_a_highlight(
    oct_digests: dict[str, Any], sep_digests: dict[str, Any]
) -> None:
    october_highlights = [e["title"] for e in oct_digests[DOCS]["highlights"]]
    assert any("one page for the OpenTelemetry Collector" in t for t in october_highlights)
    assert any("new theme on October 12" in t for t in october_highlights)
    september_highlights = [e["title"] for e in sep_digests[DOCS]["highlights"]]
    assert any("generated from the schema" in t for t in september_highlights)
    # A decision is news once: not followed as an item too.
    others = entries(oct_digests[DOCS], "new", "pending", "resolved", "quiet")
    assert not [e for e in others if "one page for the OpenTelemetry Collector" in e["title"]]
