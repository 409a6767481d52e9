"""Which months `digest send` mails: catch-up, no double sends, skipped months."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest.model import Digest, MeetingRef, SourceLink
from digest.periods import Period
from digest.tracking.schedule import due_periods as due_period_values
from digest.tracking.schedule import should_skip


def at(text: str, tz: timezone | ZoneInfo = UTC) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def due_periods(
    *, now: datetime, start: str | None, sent: Sequence[str], skipped: Sequence[str] = ()
) -> list[str]:
    """schedule.due_periods, spoken in "YYYY-MM" text to keep the cases readable."""
    due = due_period_values(
        now=now,
        start=Period.parse(start) if start else None,
        sent=[Period.parse(p) for p in sent],
        skipped=[Period.parse(p) for p in skipped],
    )
    return [str(p) for p in due]


# ---- due_periods -------------------------------------------------------------------


def test_first_run_without_start_sends_only_the_last_complete_month() -> None:
    assert due_periods(now=at("2026-05-01T06:00"), start=None, sent=()) == ["2026-04"]


def test_second_firing_in_the_same_month_is_a_no_op() -> None:
    now = at("2026-05-01T06:40")
    assert due_periods(now=now, start=None, sent=["2026-04"]) == []
    assert (
        due_periods(now=now, start="2026-01", sent=["2026-01", "2026-02", "2026-03", "2026-04"])
        == []
    )


def test_nothing_is_due_during_the_month_itself() -> None:
    # May is not over on 31 May: its digest waits for June.
    assert due_periods(now=at("2026-05-31T23:59"), start="2026-05", sent=()) == []


def test_missed_months_are_caught_up_oldest_first_without_start() -> None:
    # Sent January, then the host was off until August.
    due = due_periods(now=at("2026-08-03T09:00"), start=None, sent=["2026-01"])
    assert due == ["2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07"]


def test_start_sends_every_month_from_start_minus_sent_and_skipped() -> None:
    due = due_periods(
        now=at("2026-06-01T06:00"),
        start="2026-01",
        sent=["2026-01", "2026-03"],
        skipped=["2026-04"],
    )
    assert due == ["2026-02", "2026-05"]


def test_start_in_the_future_sends_nothing_yet() -> None:
    assert due_periods(now=at("2026-06-01T06:00"), start="2026-09", sent=()) == []


def test_start_across_a_year_end() -> None:
    due = due_periods(now=at("2027-02-01T06:00"), start="2026-11", sent=())
    assert due == ["2026-11", "2026-12", "2027-01"]


def test_a_year_of_monthly_firings_sends_each_month_exactly_once() -> None:
    sent: list[str] = []
    now = at("2026-01-01T06:00")
    while now < at("2027-01-02T00:00"):
        for period in due_periods(now=now, start="2026-01", sent=sent):
            sent.append(period)
        now += timedelta(hours=7)  # fires far more often than monthly: still once each
    assert sent == [f"2026-{m:02d}" for m in range(1, 13)]


# ---- should_skip -------------------------------------------------------------------


def _digest(*, meetings: int = 0, late: int = 0) -> Digest:
    link = SourceLink(path="notes.md", line=1, commit=None, url="notes.md:1")
    digest = Digest(series="core", period=Period(2026, 3), compared_to=Period(2026, 2))
    digest.meetings = [
        MeetingRef(title="Core sync", date=date(2026, 3, 5), source=link) for _ in range(meetings)
    ]
    if late:
        from digest.model import Entry

        digest.late = [
            Entry(
                title="late note",
                status="open",
                status_phrase=None,
                owners=[],
                refs=[],
                first_seen=date(2026, 2, 3),
                last_seen=date(2026, 2, 3),
                times_raised=1,
                source=link,
                late=True,
            )
        ]
    return digest


def test_a_month_without_meetings_is_skipped_with_a_reason() -> None:
    assert should_skip(_digest()) == "no meetings and no late notes"


def test_a_month_with_a_meeting_is_sent() -> None:
    assert should_skip(_digest(meetings=1)) is None


def test_a_month_with_only_late_notes_is_sent_so_they_reach_someone() -> None:
    assert should_skip(_digest(late=1)) is None


def test_skipping_can_be_turned_off() -> None:
    assert should_skip(_digest(), skip_if_no_new_notes=False) is None


# ---- a simulated year: the timer, a real notes repository, a real state DB -------

TASKS = {
    "01": "paint the north pier bollards",
    "02": "order replacement mooring lines",
    "03": "survey the silt near berth four",
    "05": "update the tide table printout",
    "06": "test the fog horn timer",
    "07": "repair the ferry ramp hinge",
    "08": "recruit volunteers for the boat show",
    "09": "renew the fuel dock permit",
    "10": "clean the harbour webcam lens",
    "11": "winterize the water taps",
    "12": "plan the new year lantern walk",
}
LATE_TASK = "replace the crane bearings"


def harbor_note(day: str, task: str) -> str:
    return f"# {day} Harbor Sync\n\n## Action items\n\n- [ ] [mira] {task}\n"


def test_a_simulated_year_sends_each_month_once_catches_up_and_shows_late_notes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    from git_notes import GitNotes

    from digest.app.send import SendOptions, run_send
    from digest.config.load import load_config
    from digest.state.db import open_db

    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    monkeypatch.delenv("DIGEST_SECRET", raising=False)
    repo = GitNotes(tmp_path / "harbor")
    config = tmp_path / "config.toml"
    config.write_text(
        '[digest]\nstate_dir = "state"\n'
        '[[sources]]\nname = "harbor"\nkind = "git"\nurl = "harbor"\nglob = ["notes/*.md"]\n'
        '[schedule]\nstart = "2026-01"\n'
        '[mail]\nfrom = "Harbor digest <digest@harbor.example.org>"\n'
        'list_address = "harbor@lists.example.org"\ntransport = "outbox"\n',
        encoding="utf-8",
    )
    cfg = load_config(config)

    # (commit time, path, text): each month's meeting on the 5th, committed on the 8th;
    # no meeting in April; February's second meeting is committed late, on 10 March.
    commits = [
        (
            at(f"2026-{m}-08T12:00"),
            f"notes/2026-{m}-05-harbor-sync.md",
            harbor_note(f"2026-{m}-05", t),
        )
        for m, t in TASKS.items()
    ]
    commits.append(
        (
            at("2026-03-10T12:00"),
            "notes/2026-02-20-harbor-sync.md",
            harbor_note("2026-02-20", LATE_TASK),
        )
    )
    commits.sort()

    def fire(now: datetime) -> list[str]:
        """What the timer does at `now`: commit what exists by then, then `digest send`."""
        while commits and commits[0][0] < now:
            when, path, text = commits.pop(0)
            repo.write(path, text)
            repo.commit(f"notes {path}", when.isoformat())
        report = run_send(cfg, SendOptions(progress=False), now=now)
        assert report.ok
        return [str(d.period) for d in report.digests]

    sent_by_run: dict[str, list[str]] = {}
    for month in ["02", "03", "04", "05", "09", "10", "11", "12"]:  # host off Jun-Aug
        sent_by_run[month] = fire(at(f"2026-{month}-01T06:00"))
        assert fire(at(f"2026-{month}-01T06:40")) == []  # a second firing is a no-op
    sent_by_run["2027-01"] = fire(at("2027-01-01T06:00"))

    assert sent_by_run["05"] == []  # April had no meeting: skipped, not mailed
    assert sent_by_run["09"] == ["2026-05", "2026-06", "2026-07", "2026-08"]  # caught up
    every = [p for run in sent_by_run.values() for p in run]
    assert every == sorted(set(every))  # oldest first, none twice
    assert every == [f"2026-{m}" for m in TASKS]  # none lost

    db = open_db(cfg.db_path)
    status = dict(db.execute("SELECT period, status FROM digests").fetchall())
    assert status == {f"2026-{m}": "sent" for m in TASKS} | {"2026-04": "skipped"}
    # One message per month in the outbox: nobody was mailed twice.
    mails = sorted(p.parent.name[:7] for p in (tmp_path / "outbox").rglob("*.eml"))
    assert mails == [f"2026-{m}" for m in TASKS]

    bodies = dict(db.execute("SELECT period, json_body FROM digests").fetchall())

    def titles(period: str, bucket: str) -> list[str]:
        return [e["title"] for e in json.loads(bodies[period])[bucket]]

    # Not committed yet when February went out, so March's digest lists the note as
    # late, and follows its task like any open item raised before March.
    assert not any(LATE_TASK in t for b in Digest.BUCKETS for t in titles("2026-02", b))
    assert titles("2026-03", "late") == ["2026-02-20 Harbor Sync"]
    assert [t for t in titles("2026-03", "pending") if LATE_TASK in t]
    # Only once: later months follow it as an ordinary open item.
    assert titles("2026-05", "late") == []
    db.conn.close()
