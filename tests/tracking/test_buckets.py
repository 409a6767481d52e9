"""The digest buckets of one series for one month, from hand-built items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from test_threads import item

from digest.config.schema import TrackingConfig
from digest.model import Digest, Entry, Item, Meeting, SourceLink
from digest.periods import Period
from digest.tracking.buckets import build_digest, entry_title
from digest.tracking.threads import build_threads

TRACKING = TrackingConfig()
SERIES = "Otter Maintainers"


def meeting(day: str, committed: datetime | None = None) -> Meeting:
    return Meeting(
        id=f"otter:notes/{day}.md:{day}",
        source="otter",
        path=f"notes/{day}.md",
        series=SERIES,
        title=f"{day} Otter Maintainers",
        date=date.fromisoformat(day),
        date_origin="heading",
        line=1,
        end_line=40,
        commit="c0ffee",
        committed_at=committed,
    )


def link(it: Item) -> SourceLink:
    return SourceLink(it.path, it.line, it.commit, f"{it.path}:{it.line}")


def digest_for(
    period: str,
    items: Sequence[Item],
    days: Sequence[str],
    *,
    tracking: TrackingConfig = TRACKING,
    built_at: dict[str, datetime] | None = None,
    meetings: Sequence[Meeting] | None = None,
) -> Digest:
    return build_digest(
        build_threads(items, tracking),
        meetings if meetings is not None else [meeting(d) for d in days],
        series=SERIES,
        period=Period.parse(period),
        tracking=tracking,
        highlights=[i for i in items if i.kind == "decision"],
        built_at={Period.parse(p): t for p, t in (built_at or {}).items()},
        link=link,
    )


def titles(entries: list[Entry]) -> list[str]:
    return [e.title for e in entries]


def bucket_of(digest: Digest, text: str) -> list[str]:
    return [b for b in Digest.BUCKETS if any(text in e.title for e in getattr(digest, b))]


MONTHS = ["2031-01-07", "2031-02-04", "2031-03-04", "2031-04-01"]


def task(day: str, text: str, checked: bool, **kw: Any) -> Item:
    return item(
        day,
        text,
        form="task",
        kind="action",
        status="done" if checked else "open",
        status_phrase="[x]" if checked else "[ ]",
        **kw,
    )


def test_a_task_reopened_shows_no_longer_the_tick_that_closed_it() -> None:
    items = [
        task(MONTHS[0], "[mara] Publish the arm64 images", True, owners=["mara"]),
        item(
            MONTHS[1],
            "[mara] Publish the arm64 images",
            kind="action",
            owners=["mara"],
            status="open",
        ),
    ]
    february = digest_for("2031-02", items, MONTHS)
    (entry,) = february.pending
    assert (entry.status, entry.status_phrase, entry.previous_status) == ("open", None, "[x]")


def test_a_box_checked_two_meetings_later_is_pending_then_resolved() -> None:
    items = [
        task(MONTHS[0], "[mara] Publish the arm64 images", False, owners=["mara"]),
        task(MONTHS[1], "[mara] Publish the arm64 images", False, owners=["mara"]),
        task(MONTHS[2], "[mara] Publish the arm64 images", True, owners=["mara"]),
    ]
    january = digest_for("2031-01", items, MONTHS)
    assert titles(january.new) == ["[mara] Publish the arm64 images"]
    february = digest_for("2031-02", items, MONTHS)
    assert bucket_of(february, "arm64") == ["pending"]
    entry = february.pending[0]
    assert (entry.first_seen, entry.times_raised, entry.owners) == (
        date(2031, 1, 7),
        2,
        ["mara"],
    )
    assert entry.previous_status == "[ ]"
    march = digest_for("2031-03", items, MONTHS)
    assert bucket_of(march, "arm64") == ["resolved"]
    assert march.resolved[0].status == "done"
    assert march.resolved[0].source.path == f"notes/{MONTHS[2]}.md"
    april = digest_for("2031-04", items, MONTHS)
    assert april.is_empty()


ROADMAP_LINES = {"Tiered compaction": 10, "Encrypted backups": 11, "Streaming replication": 12}


def row(day: str, goal: str, status: str, phrase: str) -> Item:
    return item(
        day,
        f"Storage — {goal}",
        line=ROADMAP_LINES[goal],  # a row of its own line, as in a real table
        form="row",
        row_key=f"storage / {goal.lower()}",
        status=status,  # type: ignore[arg-type]
        status_phrase=phrase,
        section=("Agenda", "Roadmap"),
    )


def test_status_table_rows_between_two_restatements() -> None:
    days = ["2031-01-07", "2031-06-03"]
    items = [
        row(days[0], "Tiered compaction", "open", "in progress"),
        row(days[0], "Encrypted backups", "open", "not started"),
        row(days[0], "Streaming replication", "done", "Done in 1.4"),
        row(days[1], "Tiered compaction", "done", "done"),
        row(days[1], "Encrypted backups", "open", "in progress"),
        row(days[1], "Streaming replication", "done", "Done in 1.4"),
    ]
    june = digest_for("2031-06", items, days, tracking=TrackingConfig(forget_after=10))
    assert bucket_of(june, "Tiered compaction") == ["resolved"]
    assert bucket_of(june, "Encrypted backups") == ["pending"]
    assert june.pending[0].previous_status == "not started"
    assert june.pending[0].status_phrase == "in progress"
    assert bucket_of(june, "Streaming replication") == []
    assert june.compared_to == Period(2031, 1)


def test_quiet_after_two_meetings_and_forgotten_after_six() -> None:
    days = [f"2031-{m:02d}-05" for m in range(1, 10)]
    items = [item(days[0], "Rotate the signing key [ ]", status="open", owners=["ossi"])]
    # Something else is discussed every month, so the series has meetings.
    items += [item(d, f"Grant request number {n} for travel") for n, d in enumerate(days[1:])]
    buckets = {
        f"2031-{m:02d}": bucket_of(digest_for(f"2031-{m:02d}", items, days), "signing key")
        for m in range(1, 10)
    }
    assert buckets == {
        "2031-01": ["new"],
        "2031-02": ["pending"],  # 1 meeting without a mention
        "2031-03": ["quiet"],  # 2 meetings
        "2031-04": ["quiet"],
        "2031-05": ["quiet"],
        "2031-06": ["quiet"],  # 5 meetings
        "2031-07": [],  # 6 meetings: forgotten
        "2031-08": [],
        "2031-09": [],
    }


def test_a_month_whose_meetings_were_all_cancelled_does_not_count_towards_quiet() -> None:
    days = ["2031-01-05", "2031-02-05", "2031-03-05"]
    items = [item(days[0], "Rotate the signing key [ ]", status="open", owners=["ossi"])]
    items.append(item(days[2], "Grant request for travel"))
    held = [meeting(d) for d in days]
    called_off = [*held[:1], replace(held[1], not_held="Cancelled: no quorum"), held[2]]
    assert bucket_of(digest_for("2031-03", items, days, meetings=held), "signing") == ["quiet"]
    march = digest_for("2031-03", items, days, meetings=called_off)
    assert bucket_of(march, "signing") == ["pending"]  # one month met without it, not two
    february = digest_for("2031-02", items, days, meetings=called_off)
    assert [(m.date.isoformat(), m.not_held) for m in february.meetings] == [
        ("2031-02-05", "Cancelled: no quorum")
    ]
    assert bucket_of(february, "signing") == ["pending"]


def test_a_series_that_skips_months_compares_with_its_last_meeting() -> None:
    days = ["2031-01-07", "2031-05-06"]
    items = [
        item(
            days[0], "Rotate the signing key -> in flight", status="open", status_phrase="in flight"
        ),
        item(days[1], "Rotate signing key -> in flight", status="open", status_phrase="in flight"),
    ]
    may = digest_for("2031-05", items, days)
    assert may.compared_to == Period(2031, 1)
    assert bucket_of(may, "signing key") == ["pending"]
    assert [m.date for m in may.meetings] == [date(2031, 5, 6)]


def test_a_note_committed_after_its_months_digest_is_late_once() -> None:
    days = ["2031-01-07", "2031-01-21", "2031-02-04"]
    built = {"2031-01": datetime(2031, 2, 1, 6, tzinfo=UTC)}
    meetings = [
        meeting(days[0], datetime(2031, 1, 8, tzinfo=UTC)),
        meeting(days[1], datetime(2031, 2, 3, tzinfo=UTC)),  # after the January digest
        meeting(days[2], datetime(2031, 2, 5, tzinfo=UTC)),
    ]
    items = [
        item(days[0], "Rotate the signing key [ ]", status="open"),
        item(days[1], "[ossi] Write the 2.0 upgrade guide", owners=["ossi"], status="open"),
        item(days[2], "Grant request for travel"),
    ]
    february = digest_for("2031-02", items, days, built_at=built, meetings=meetings)
    # The note is listed once as late; its items are read like any earlier meeting's.
    assert titles(february.late) == ["2031-01-21 Otter Maintainers"]
    assert february.late[0].late and february.late[0].status_phrase == "notes added 2031-02-03"
    assert bucket_of(february, "upgrade guide") == ["pending"]
    # Once February's digest went out (and showed it), March does not repeat it.
    built["2031-02"] = datetime(2031, 3, 1, tzinfo=UTC)
    march_days = [*days, "2031-03-04"]
    march = digest_for(
        "2031-03",
        [*items, item("2031-03-04", "Grant request for travel")],
        march_days,
        built_at=built,
        meetings=[*meetings, meeting("2031-03-04", datetime(2031, 3, 5, tzinfo=UTC))],
    )
    assert march.late == []
    # Still open, two meetings without a mention since: gone quiet, not late again.
    assert bucket_of(march, "upgrade guide") == ["quiet"]


def test_meetings_that_landed_late_in_one_note_on_one_day_are_one_entry() -> None:
    """A release's archive bringing nine calls at once is one late entry, linked to the
    top of the note; a note of the same days that landed on its own stays apart."""
    days = ["2031-01-07", "2031-01-21", "2031-02-04", "2031-02-18"]
    archived = datetime(2031, 3, 2, tzinfo=UTC)
    archive = [
        replace(
            meeting(day, archived),
            id=f"otter:notes/release-4.2.md:{day}",
            path="notes/release-4.2.md",
            line=100 - 30 * k,  # newest on top
        )
        for k, day in enumerate(days[:3])
    ]
    alone = meeting(days[3], archived + timedelta(days=1))
    built = {p: datetime(2031, m, 1, 6, tzinfo=UTC) for p, m in (("2031-01", 2), ("2031-02", 3))}
    march = digest_for(
        "2031-03",
        [item("2031-03-04", "Grant request for travel")],
        [*days, "2031-03-04"],
        built_at=built,
        meetings=[*archive, alone, meeting("2031-03-04", datetime(2031, 3, 5, tzinfo=UTC))],
    )
    assert titles(march.late) == ["3 meetings in release-4.2.md", "2031-02-18 Otter Maintainers"]
    grouped = march.late[0]
    assert (grouped.first_seen, grouped.last_seen) == (date(2031, 1, 7), date(2031, 2, 4))
    assert (grouped.source.line, grouped.status_phrase) == (40, "notes added 2031-03-02")


def test_discussion_remarks_are_not_new_but_followed_things_are() -> None:
    day = "2031-01-07"
    items = [
        item(day, "We talked about the conference booth", 10, kind="discussion"),
        item(day, "Drop support for the 0.x client [ ]", 12, status="open"),
        item(day, "[ossi] Write the migration guide", 14, owners=["ossi"]),
        item(day, "Flaky test in the replication suite otter#301", 16, refs=["otterdb/otter#301"]),
        item(day, "Send the survey", 18, section=("Action items",)),
        item(day, "[Zoom link](https://zoom.example/j/1)", 20, kind="boilerplate"),
    ]
    january = digest_for("2031-01", items, [day])
    # What a maintainer reads first: who owns it, then which issue, then the rest.
    assert titles(january.new) == [
        "[ossi] Write the migration guide",
        "Flaky test in the replication suite otter#301",
        "Drop support for the 0.x client [ ]",
        "Send the survey",
    ]


def test_unknown_status_raised_in_several_meetings_is_pending() -> None:
    days = MONTHS[:3]
    items = [
        item(days[0], "Shrink the container image"),
        item(days[1], "Shrink the container image, maybe distroless"),
        item(days[2], "Grant request for travel"),
    ]
    # A topic is followed from its first mention, open until something closes it.
    assert bucket_of(digest_for("2031-01", items, days), "container image") == ["new"]
    assert bucket_of(digest_for("2031-02", items, days), "container image") == ["pending"]
    # Not mentioned in March, still open and only one meeting ago.
    assert bucket_of(digest_for("2031-03", items, days), "container image") == ["pending"]


def test_a_decision_copied_forward_is_news_only_in_its_first_month() -> None:
    # A decisions log every meeting carries forward repeats April's decision in May.
    logged = "Keyless Sigstore signing from 0.14 — Date: 2031-04-09"
    items = [
        item(MONTHS[0], logged, 5, kind="decision", section=("Decisions",)),
        item(MONTHS[1], logged, 5, kind="decision", section=("Decisions",)),
        item(MONTHS[1], "Drop the 1.x branch in June", 6, kind="decision", section=("Decisions",)),
    ]
    assert titles(digest_for("2031-01", items, MONTHS).highlights) == [logged]
    assert titles(digest_for("2031-02", items, MONTHS).highlights) == [
        "Drop the 1.x branch in June"
    ]


def test_highlights_decisions_and_releases_each_once() -> None:
    day = "2031-01-07"
    items = [
        item(
            day,
            "Otter 2.1 is out",
            5,
            kind="decision",
            meaning="announcements",
            section=("Highlights",),
        ),
        item(
            day,
            "Otter 2.1 is out",
            30,
            kind="decision",
            meaning="announcements",
            section=("Highlights",),
        ),
        item(day, "We agreed to drop Python 3.9", 8, kind="decision", section=("Minutes",)),
        item(day, "Archive the old python client?", 12, status="done", status_phrase="agreed"),
        item(day, "[mara] Rotate the signing key [ ]", 14, status="open", owners=["mara"]),
    ]
    january = digest_for("2031-01", items, [day])
    # Highlights are the lines that are news or decisions; one line once.
    assert titles(january.highlights) == ["Otter 2.1 is out", "We agreed to drop Python 3.9"]
    # A topic settled in the meeting that raised it is resolved, not a highlight.
    assert titles(january.resolved) == ["Archive the old python client?"]
    assert titles(january.new) == ["[mara] Rotate the signing key [ ]"]


def test_every_thread_is_in_one_bucket_and_the_digest_is_stable() -> None:
    items = [
        task(MONTHS[0], "[mara] Publish the arm64 images", False, owners=["mara"]),
        task(MONTHS[1], "[mara] Publish the arm64 images", True, owners=["mara"]),
        item(MONTHS[1], "Rotate the signing key [ ]", 20, status="open"),
        item(MONTHS[1], "Rotate the signing key [ ]", 22, status="open"),
    ]
    one = digest_for("2031-02", items, MONTHS)
    two = digest_for("2031-02", list(reversed(items)), MONTHS)
    assert one == two
    everything = [e.title for b in Digest.BUCKETS for e in getattr(one, b)]
    assert sorted(everything) == ["Rotate the signing key [ ]", "[mara] Publish the arm64 images"]


def test_a_table_row_and_a_bullet_on_one_topic_are_listed_once() -> None:
    days = ["2031-01-07", "2031-02-04"]
    items = [
        row(days[0], "Tiered compaction", "open", "not started"),
        row(days[1], "Tiered compaction", "open", "in progress"),
        item(
            days[1],
            "Tiered compaction: start with the cold tier otter#90 -> in flight [mara]",
            30,
            status="open",
            status_phrase="in flight",
            owners=["mara"],
            refs=["otterdb/otter#90"],
        ),
        item(days[1], "Encrypted backups for the cold tier [ ]", 32, status="open"),
    ]
    february = digest_for("2031-02", items, days)
    listed = [e.title for b in Digest.BUCKETS for e in getattr(february, b)]
    assert sum("Tiered compaction" in t for t in listed) == 1
    assert "Encrypted backups for the cold tier [ ]" in listed


# ---- carry-overs, highlights and weekly series: notes written for these tests ----


def notes_digest(period: str, notes: dict[str, str], series: str = "") -> Digest:
    """The digest of `period` for notes {file name: Markdown}, parsed and extracted."""
    from digest.model import Document
    from digest.notes.items import extract_items
    from digest.notes.parse import parse_document

    meetings: list[Meeting] = []
    for name, text in notes.items():
        doc = Document(source="otter", path=f"notes/{name}", text=text, blob=name)
        meetings += parse_document(doc, series=series).meetings
    items = [i for m in meetings for i in extract_items(m, TRACKING, org="otterdb")]
    (name,) = {m.series for m in meetings}
    return build_digest(
        build_threads(items, TRACKING),
        meetings,
        series=name,
        period=Period.parse(period),
        tracking=TRACKING,
        highlights=[i for i in items if i.kind == "decision"],
        built_at={},
        link=link,
    )


MARCH_NOTE = """# 2031-03-04 Otter Maintainers

## Agenda

- Plans for the 2.0 cycle
  - ARM64 builds for the release
  - Rework of the snapshot compaction
- Decide on the storage layout of the wal segments
"""

APRIL_NOTE = """# 2031-04-01 Otter Maintainers

## Highlights

- Docs site moved to the new domain
- Release process discussion:
  - feel free to comment on the draft in the issue
  - if we all agree we can proceed with the rename next week

## Agenda

- Some items to check in from last time (see notes from 2031-03-04):
  - Quota enforcement for tenants -- keeps coming up, maybe after 2.0
  - ARM64 builds finished (yay) done
  - Storage layout of the wal segments -> in progress
  - Benchmarks on the new hardware
- Garbage collection pauses in the replica
"""


def test_check_in_items_are_carried_over_never_new() -> None:
    april = notes_digest("2031-04", {"2031-03-04.md": MARCH_NOTE, "2031-04-01.md": APRIL_NOTE})
    # The humans listed them as carried over from March: pending (or resolved when
    # done), first seen at the meeting the heading names, even when March's notes
    # do not say them in the same words (or at all).
    assert bucket_of(april, "Quota enforcement") == ["pending"]
    assert bucket_of(april, "Benchmarks on the new hardware") == ["pending"]
    assert bucket_of(april, "Storage layout") == ["pending"]
    assert bucket_of(april, "ARM64 builds") == ["resolved"]
    for entry in april.pending:
        assert entry.first_seen == date(2031, 3, 4), entry.title
    # A new agenda topic outside the check-in list is new.
    assert bucket_of(april, "Garbage collection") == ["new"]
    assert not any("Quota" in e.title or "Benchmarks" in e.title for e in april.new)
    quota = next(e for e in april.pending if "Quota" in e.title)
    assert quota.previous_status is None  # never had a status: nothing to compare with


def test_a_carried_over_item_stays_followed_the_month_after() -> None:
    may_note = "# 2031-05-06 Otter Maintainers\n\n## Agenda\n\n- Unrelated: vendor the parser\n"
    may = notes_digest(
        "2031-05",
        {"2031-03-04.md": MARCH_NOTE, "2031-04-01.md": APRIL_NOTE, "2031-05-06.md": may_note},
    )
    assert bucket_of(may, "Quota enforcement") == ["pending"]


def test_highlights_are_the_top_level_bullets_and_stated_decisions() -> None:
    april = notes_digest("2031-04", {"2031-03-04.md": MARCH_NOTE, "2031-04-01.md": APRIL_NOTE})
    assert titles(april.highlights) == [
        "Docs site moved to the new domain",
        "Release process discussion",
    ]
    # The grouped discussion is not repeated line by line anywhere.
    assert bucket_of(april, "feel free") == []
    assert bucket_of(april, "if we all agree") == []


def test_a_proposed_agreement_is_not_a_decision() -> None:
    may = """# 2031-05-06 Otter Maintainers

## Agenda

- Rename the CLI binary
  - if we all agree we can proceed with the rename
- Drop the legacy importer
  - everybody agrees
"""
    march = "# 2031-03-04 Otter Maintainers\n\n## Agenda\n\n- Rename the CLI binary (Ossi)\n"
    digest = notes_digest("2031-05", {"2031-03-04.md": march, "2031-05-06.md": may})
    assert bucket_of(digest, "Rename the CLI") == ["pending"]
    assert bucket_of(digest, "legacy importer") == ["resolved"]


def test_a_weekly_call_goes_quiet_after_two_silent_months_not_two_weeks() -> None:
    weeks = [f"2031-01-{d:02d}" for d in (6, 13, 20, 27)] + [
        f"2031-{m:02d}-{d:02d}" for m in (2, 3, 4) for d in (3, 17)
    ]
    items = [item(weeks[0], "Rotate the signing key", status="open", owners=["ossi"])]
    items += [item(d, f"Grant request number {n} for travel") for n, d in enumerate(weeks[1:])]
    buckets = {
        p: bucket_of(digest_for(p, items, weeks), "signing key")
        for p in ("2031-01", "2031-02", "2031-03", "2031-04")
    }
    # Three more January calls without a mention: still pending in January's digest.
    assert buckets == {
        "2031-01": ["new"],
        "2031-02": ["pending"],
        "2031-03": ["quiet"],
        "2031-04": ["quiet"],
    }


def test_a_sig_style_month_reads_as_its_chair_would() -> None:
    """Time-boxed agenda entries with owners, speaker lines and an AI line under them,
    a numbered action list reviewed with ticks two weeks later, outcomes in
    sub-bullets and a decision: notes written for this test in a style none of the
    corpora uses."""
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "data" / "notes"
    names = ["2031-01-09-sig-storage.md", "2031-01-23-sig-storage.md"]
    january = notes_digest("2031-01", {n: (data / n).read_text() for n in names})
    assert titles(january.highlights) == ["Snapshot GA ships in 1.30"]
    assert titles(january.new) == ["Kai: ping the Windows team about the mount test"]
    resolved = " | ".join(titles(january.resolved))
    for done in ("Flaky mount test", "CSI snapshot GA plan", "restore e2e test", "KEP"):
        assert done in resolved, done
    # The AI line under a topic and the same action in the list are one item.
    assert (
        sum("restore e2e test" in t for b in Digest.BUCKETS for t in titles(getattr(january, b)))
        == 1
    )
    assert not [t for t in resolved.split(" | ") if t.startswith(("Ana:", "Bo:"))]


def test_a_triage_month_with_issue_headings_and_an_action_table() -> None:
    """An issue per heading with its minutes as paragraphs ("Ana: the FCP is done"),
    and an action tracker table whose Owner and Due columns are not what the row is
    about: notes written for this test."""
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "data" / "notes"
    names = ["2031-02-01-lang-triage.md", "2031-02-15-lang-triage.md"]
    february = notes_digest("2031-02", {n: (data / n).read_text() for n in names})
    resolved = titles(february.resolved)
    assert any(t.startswith('"Stabilize async closures"') for t in resolved)
    # Two rows due the same day are two actions, each closed by its own status cell.
    assert any(t.startswith("Write the stabilization report") for t in resolved)
    assert any(t.startswith("Ping the compiler team") for t in resolved)
    new = titles(february.new)
    assert any(t.startswith("Start a crater run") for t in new)
    assert any(t.startswith('"Lint for unused lifetimes"') for t in new)


def test_a_heading_per_topic_with_its_minutes_below() -> None:
    """'### Release 2.0' over '- Ana: RC1 is ready', '- Decision: …': the heading is
    the topic, its bullets its minutes, the decision a highlight, the action an
    item, and a conditional 'if the regressions are fixed' closes nothing."""
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "data" / "notes"
    names = ["2031-03-03-hazel-weekly.md", "2031-03-17-hazel-weekly.md"]
    march = notes_digest("2031-03", {n: (data / n).read_text() for n in names})
    assert titles(march.resolved) == ["Release 2.0"]  # "Ana: 2.0 is out, released …"
    assert sorted(titles(march.new)) == [
        "Bo to compare two other CI providers",  # "Action:" read, not shown
        "CI costs",
    ]
    assert "Cleo joins the maintainers" in titles(march.highlights)
    listed = [t for b in Digest.BUCKETS for t in titles(getattr(march, b))]
    assert not [t for t in listed if t.startswith(("Ana:", "Bo:"))]


def test_a_numbered_agenda_with_an_action_review_reads_as_its_chair_would() -> None:
    """Minutes that start by reviewing last time's actions, number their agenda
    headings ("### 2. Docs site migration") and end with an action list: the review of
    an action and its carry-over in the same meeting are one action; a numbered
    heading is a topic whose bullets are its minutes ("Merged yesterday." resolves
    it, "No objections." is no item); someone being away is no task; and a decision
    of an earlier meeting does not hide what a later one said of the same work."""
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "data" / "notes"
    names = ["2031-04-02-tooling-wg.md", "2031-04-16-tooling-wg.md"]
    april = notes_digest("2031-04", {n: (data / n).read_text() for n in names})
    new = titles(april.new)
    assert {
        "Deprecating the legacy config loader (#398)",  # numbered: "2." is the agenda's
        "Docs site migration",
        "Priya to share the docs prototype link in the channel",
        "Wen to benchmark the new resolver against 3.1",
    } <= set(new)
    assert not [t for t in new if t.startswith("Wen:")]  # its review is the same action
    assert sorted(titles(april.resolved)) == [
        "Greta: announce the 3.2 branch date — done",
        "Priya: write up the lockfile format proposal — done, see #412",
        "Resolver fix status (#420)",  # "Merged yesterday."
        "Tomás: follow up with infra about the CI runners — done, we got two more runners",
    ]
    assert [("branch cut on April 20" in t) for t in titles(april.highlights)] == [True]
    listed = [t for b in Digest.BUCKETS for t in titles(getattr(april, b))]
    assert not [t for t in listed if "away" in t or "objections" in t.lower()]
    assert not [t for t in listed if "still waiting" in t]  # joined to the action it reviews


def test_a_notes_doc_with_label_lines_and_bringers_in_brackets() -> None:
    """A running notes doc (newest meeting first) written with "Attendees:" and
    "Agenda:" lines instead of headings, who brings a topic in brackets, an arrow
    result in a sub-bullet, and a "Reminder:" for everyone."""
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "data" / "notes"
    names = ["2031-05-sig-runtime.md", "2031-06-sig-runtime.md"]
    notes = {n: (data / n).read_text() for n in names}
    may = notes_digest("2031-05", notes)
    listed = [t for b in Digest.BUCKETS for t in titles(getattr(may, b))]
    assert not [t for t in listed if "(Acme)" in t or "(Globex)" in t]  # attendees
    assert [t for t in titles(may.highlights) if "Reminder:" in t] == [
        "[Ilse] Reminder: CFP for the summit closes Friday"
    ]
    assert "@marco to ping approvers on the remaining PRs" in titles(may.new)
    june = notes_digest("2031-06", notes)
    resolved = titles(june.resolved)
    # "- Root cause found: …, fix is in 6.9.3 -> closed" under it
    assert any(t.startswith("[Sun] Flaky e2e test on cgroup v2") for t in resolved)
    assert any(t.startswith("[Marco] KEP-2040") for t in resolved)
    assert "[Sun] New contributor onboarding doc" in titles(june.new)


def test_a_grouping_highlight_shows_what_it_groups() -> None:
    april = """# 2031-04-01 Otter Maintainers

## Highlights

- Recently adopted plugins:
  - otter-plugin-s3
  - otter-plugin-kafka
- Docs site moved to the new domain
"""
    digest = notes_digest("2031-04", {"2031-04-01.md": april})
    assert titles(digest.highlights) == [
        "Recently adopted plugins: otter-plugin-s3; otter-plugin-kafka",
        "Docs site moved to the new domain",
    ]


def test_a_sentence_ending_in_a_colon_keeps_its_discussion_out_of_the_highlight() -> None:
    april = """# 2031-04-01 Otter Maintainers

## Highlights

- [ana] proposal to make the streaming parser the default in the docs:
  - https://git.example.org/otter/docs/issues/12
  - maybe we could write a page with the common errors and how to fix them
"""
    digest = notes_digest("2031-04", {"2031-04-01.md": april})
    assert titles(digest.highlights) == [
        "[ana] proposal to make the streaming parser the default in the docs:"
    ]


def test_a_later_decision_answers_an_open_question() -> None:
    asked = item("2031-02-04", "Should we drop Python 3.9 in 2.0? Let's decide next time.")
    decided = item(
        "2031-03-04", "Decision: we drop Python 3.9 support in the 2.0 release", kind="decision"
    )
    other = item("2031-02-04", "Should we move the sync to Thursdays?", line=11)
    days = ["2031-02-04", "2031-03-04", "2031-04-01"]
    march = digest_for("2031-03", [asked, decided, other], days)
    # The decision is news of its meeting; the question it answers is settled there.
    assert bucket_of(march, "Decision: we drop") == ["highlights"]
    (settled,) = [e for e in march.resolved if e.title.startswith("Should we drop")]
    assert settled.status_phrase == "Decision: we drop Python 3.9 support in the 2.0 release"
    assert (settled.source.line, settled.last_seen) == (decided.line, date(2031, 3, 4))
    assert bucket_of(march, "Thursdays") == ["pending"]
    # The month after it is closed: listed nowhere.
    april = digest_for("2031-04", [asked, decided, other], days)
    assert bucket_of(april, "drop Python 3.9") == []
    # A question asked again after the decision is open again; a decision that
    # shares only a word or two is about something else.
    again = item("2031-04-01", "Should we drop Python 3.9 in 2.0? Let's decide next time.")
    assert bucket_of(digest_for("2031-04", [asked, decided, other, again], days), "3.9") == [
        "pending"
    ]
    elsewhere = item("2031-03-04", "Decision: Python docs move to the wiki", kind="decision")
    assert bucket_of(digest_for("2031-03", [asked, elsewhere], days), "drop Python") == ["pending"]


def test_a_decision_recorded_under_a_question_is_a_highlight_beside_it() -> None:
    # In its own meeting a decision under a question says how to go on ("try the
    # plan; Ana applies"): the work is not over, so the question keeps its status.
    asked = item("2031-03-04", "Sharing passwords in the team, e.g. for the bot account?")
    consensus = item(
        "2031-03-04",
        "Decision: try the plan, Ana applies",
        line=11,
        kind="decision",
        parent=asked.key,
    )
    march = digest_for("2031-03", [asked, consensus], ["2031-03-04"])
    assert bucket_of(march, "Sharing passwords") == ["new"]
    assert bucket_of(march, "Decision: try the plan") == ["highlights"]


BOT_MINUTES_MARCH = """# #otter-meeting: Otter steering (2031-03-04)

Meeting started by ines at 15:00:03 UTC.

## Meeting summary

* Roll call (ines, 15:00:10)
* #41 Self-hosted CI runners (ines, 15:10:12)
  * AGREED: move CI to self-hosted runners by 2.0 (+5, 0, -0) (ines, 15:18:30)
  * ACTION: marek to order the runner hardware (ines, 15:19:01)

## Action items

* marek to order the runner hardware

## Action items, by person

* marek
  * marek to order the runner hardware

## People present (lines said)

* ines (52)
* marek (12)
"""

BOT_MINUTES_APRIL = """# #otter-meeting: Otter steering (2031-04-01)

## Meeting summary

* Follow-ups from last week (ines, 15:02:30)
  * marek: runner hardware ordered, arrives in May (ines, 15:04:44)
  * nobody has looked at the flaky test yet (ines, 15:05:10)

## People present (lines said)

* ines (40)
* marek (9)
"""


def test_a_chat_bots_minutes_read_as_their_chair_would() -> None:
    notes = {"2031-03-04.md": BOT_MINUTES_MARCH, "2031-04-01.md": BOT_MINUTES_APRIL}
    march = notes_digest("2031-03", notes)
    # The channel, the "(nick, time)" stamps and the lists repeating the ACTION
    # lines are the bot's bookkeeping: one series, one action, no "marek" item.
    assert march.series == "Otter Steering"
    assert titles(march.new) == ["marek to order the runner hardware"]
    assert titles(march.highlights) == ["AGREED: move CI to self-hosted runners by 2.0 (+5, 0, -0)"]
    # A follow-up bullet is a review of the actions before: its answer resolves one.
    april = notes_digest("2031-04", notes)
    assert bucket_of(april, "runner hardware") == ["resolved"]


TABLE_MINUTES_OCTOBER = """# Otter Working Group — 2031-10-07

## Action items

| Action | Owner | Due | Status |
|--------|-------|-----|--------|
| Draft the 4.0 migration guide | Tomo | 2031-10-21 | Open |
| Announce the XML exporter removal | Ines | 2031-10-14 | Open |
"""

TABLE_MINUTES_LATER = """# Otter Working Group — 2031-10-21

## Review of action items

| Action | Owner | Due | Status |
|--------|-------|-----|--------|
| Draft the 4.0 migration guide | Tomo | 2031-10-21 | In review (#812) |
| Announce the XML exporter removal | Ines | 2031-10-14 | Done |

## Action items

| Action | Owner | Due | Status |
|--------|-------|-----|--------|
| Confirm the 4.0 date with packagers | Tomo | 2031-11-04 | Open |
"""


def test_a_new_action_row_of_the_same_owner_is_not_the_reviewed_one() -> None:
    notes = {"2031-10-07.md": TABLE_MINUTES_OCTOBER, "2031-10-21.md": TABLE_MINUTES_LATER}
    october = notes_digest("2031-10", notes)
    # The reviewed row follows its own row; Tomo's next action is an action of its own,
    # though both name "4.0" (a reviewed row carries over by its Action cell).
    assert bucket_of(october, "Draft the 4.0 migration guide") == ["new"]
    assert bucket_of(october, "Confirm the 4.0 date") == ["new"]
    assert bucket_of(october, "Announce the XML exporter removal") == ["resolved"]
    guide = next(e for e in october.new if e.title.startswith("Draft"))
    assert guide.status_phrase == "In review (#812)"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("ACTION: Cleo to write the spec text", "Cleo to write the spec text"),
        ("[DONE] AI(@femi): file an issue", "file an issue"),
        ("**ACTION: send the outline**", "send the outline"),  # the label's bold closes
        ("**ACTION: sign up here:** #187", "sign up here: #187"),
        ("**ACTION:** send it", "send it"),
        ("**Next steps:** @bo to bisect #441", "@bo to bisect #441"),
        ("~~AI: @bo to write the plan~~ done", "~~@bo to write the plan~~ done"),  # still struck
        ("Beta status (10 min)", "Beta status"),  # the agenda's time box
        ("ACTION:", "ACTION:"),  # nothing but the label: kept as written
        ("Actions we took on the CI", "Actions we took on the CI"),
    ],
)
def test_an_entry_is_titled_by_its_words_not_its_label(text: str, title: str) -> None:
    assert entry_title(text) == title


SIG_MEETING_SEPTEMBER = """# SIG Storage meeting — 2031-09-08

## Agenda

- [Ana] Volume snapshots to beta
  - AI: @bochen to write the e2e test plan
- [Dev] Onboarding
  - Conclusion: we will publish
    - the contributor guide
    - the reviewer ladder
  - Decision: keep the weekly slot.
    - Ana: works for me

## Action items

| # | Action | Owner | Due |
|---|--------|-------|-----|
| 1 | Write the e2e test plan for the snapshots | Bo | 2031-09-22 |
"""

SIG_MEETING_LATER = """# SIG Storage meeting — 2031-09-22

## Agenda

- [Bo] Snapshot test plan
  - ~~AI: @bochen to write the e2e test plan~~ done
"""


def test_an_action_restated_in_the_meetings_summary_table_is_one_action() -> None:
    """The minutes' "AI: @bochen to …" and the action table's row for it are the same
    action: done when the minutes strike it through, never left pending by the row."""
    notes = {"2031-09-08.md": SIG_MEETING_SEPTEMBER, "2031-09-22.md": SIG_MEETING_LATER}
    september = notes_digest("2031-09", notes)
    assert bucket_of(september, "e2e test plan") == ["resolved"]
    october = notes_digest(
        "2031-10", {**notes, "2031-10-06.md": SIG_MEETING_LATER.replace("2031-09-22", "2031-10-06")}
    )
    assert bucket_of(october, "e2e test plan") == []


def test_a_decision_shows_the_list_its_sentence_runs_on_into() -> None:
    september = notes_digest("2031-09", {"2031-09-08.md": SIG_MEETING_SEPTEMBER})
    assert titles(september.highlights) == [
        "Conclusion: we will publish the contributor guide; the reviewer ladder",
        "Decision: keep the weekly slot.",  # a whole sentence: its replies stay out
    ]


PLENARY_MINUTES = """# 2031-03-04 Otter Plenary

**Attendees:**

| Name | Abbreviation | Organization |
| ---- | ------------ | ------------ |
| Ines Moreau | IMU | Kelpworks |
| Tomo Sato | TSO | Driftwood |

## Opening & Welcome

Presenter: Ines Moreau (IMU)

IMU: Welcome, everyone.

## Streaming parser for Stage 3

Presenter: Tomo Sato (TSO)

TSO: The naming feedback is addressed.

IMU: No objections heard.

### Conclusion

- Stage 3
- TSO to fold the editorial fixes into the spec text

## Votes on the new editors

- Ines Moreau: +1
- Tomo Sato: abstain
"""


def test_plenary_minutes_with_presenters_and_conclusions() -> None:
    """'## Topic' over 'Presenter: …' and '### Conclusion': the heading is the topic
    and the presenter its owner, the conclusion's lines its decisions (titled with
    the topic they decide) and its 'X to …' an action; the opening is procedure and a
    vote cast is no decision."""
    march = notes_digest("2031-03", {"2031-03-04.md": PLENARY_MINUTES})
    assert titles(march.highlights) == ["Streaming parser for Stage 3: Stage 3"]
    assert titles(march.new) == ["TSO to fold the editorial fixes into the spec text"]
    from digest.model import Document
    from digest.notes.items import extract_items
    from digest.notes.parse import parse_document

    doc = Document(source="otter", path="notes/p.md", text=PLENARY_MINUTES, blob="p")
    (plenary,) = parse_document(doc).meetings
    items = extract_items(plenary, TRACKING)
    assert {i.text: i.owners for i in items if i.kind == "topic"} == {
        "Streaming parser for Stage 3": ["tso"]
    }
    assert [i.text for i in items if i.kind == "decision"] == ["Stage 3"]
