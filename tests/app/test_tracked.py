"""Threads kept in the state (digest.app.tracked): a month's digest is built from the
kept threads, brought up to the month from the newest still-valid point, and it is
always the digest a build from scratch gives (digests_from over every item).

The notes are generated for these tests about an invented project, "Heron" (a
lake-sensor network): a meeting every two weeks, actions carried over, reworded,
closed, and references to its issues.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from digest.app import tracked
from digest.app.digests import compute_digests, digests_from, followed_items, load_notes
from digest.app.sync import sync
from digest.config.schema import Config, SourceConfig
from digest.mail.jsonout import digest_to_json
from digest.periods import Period
from digest.state import ledger
from digest.state import threads as kept
from digest.state.db import open_db
from digest.state.notes import meeting_rows, meeting_versions
from digest.tracking.threads import SeriesTracker, build_threads

WORK = [
    "Publish the arm64 sensor images",
    "Shrink the snapshot format heron#{n}",
    "Replace the firmware updater with a signed one",
    "Write the buoy calibration guide",
    "Move the telemetry dashboards to the new cluster",
    "Fix the flaky lake simulator tests heron#{n}",
    "Draft the winter maintenance schedule",
    "Benchmark the compaction of cold readings",
    "Rotate the signing keys for the mirror",
    "Triage the backlog of sensor driver reports",
    "Port the battery model to the new board",
    "Document the data export API",
]
PEOPLE = ["mara", "ossi", "lin", "ana"]
STATUSES = ["", " -> in progress", " -> done", " (blocked on hardware)", ""]
TOPICS = ["Spring meetup venue", "Release 4.{n} planning", "Mentoring the new contributors"]


def meeting_note(day: date, rng: random.Random) -> str:
    lines = [f"# {day.isoformat()} Heron Maintainers", "", "## Agenda", ""]
    for topic in rng.sample(TOPICS, 2):
        lines.append(f"- {topic.format(n=rng.randint(1, 3))}")
    lines += ["", "## Action items", ""]
    for work in rng.sample(WORK, 5):
        box = "x" if rng.random() < 0.2 else " "
        status = rng.choice(STATUSES)
        who = rng.choice(PEOPLE)
        lines.append(f"- [{box}] [{who}] {work.format(n=rng.randint(10, 14))}{status}")
    return "\n".join(lines) + "\n"


def write_history(folder: Path, meetings: int, seed: int = 7) -> list[date]:
    rng = random.Random(seed)
    days = [date(2031, 1, 7) + timedelta(days=14 * k) for k in range(meetings)]
    for day in days:
        (folder / f"{day.isoformat()}-heron.md").write_text(meeting_note(day, rng))
    return days


@pytest.fixture
def project(tmp_path: Path) -> tuple[Config, Path]:
    notes = tmp_path / "notes"
    notes.mkdir()
    cfg = Config(path=tmp_path / "config.toml")
    cfg.digest.state_dir = tmp_path / "state"
    cfg.sources = [SourceConfig(name="heron", kind="dir", path=str(notes), org="heronproj")]
    return cfg, notes


def kept_json(cfg: Config, period: Period) -> list[str]:
    db = open_db(cfg.db_path)
    try:
        sync(cfg, db)
        return [_json(d) for d in compute_digests(cfg, db, period=period)]
    finally:
        db.close()


def fresh_json(cfg: Config, period: Period) -> list[str]:
    """The same digests built from every item in memory, nothing kept."""
    db = open_db(cfg.db_path)
    try:
        meetings, items, resolution = load_notes(db)
        digests = digests_from(
            cfg,
            meetings,
            items,
            period=period,
            series=resolution.names(),
            built_at=ledger.built_at(db, {}),
        )
        return [_json(d) for d in digests]
    finally:
        db.close()


def _json(digest: object) -> str:
    return json.dumps(digest_to_json(digest), sort_keys=True, default=str)  # type: ignore[arg-type]


def months_of(days: list[date]) -> list[Period]:
    return sorted({Period.of(d) for d in days})


def test_every_month_from_kept_threads_is_the_fresh_build(project: tuple[Config, Path]) -> None:
    cfg, notes = project
    months = months_of(write_history(notes, 40))
    # Asked out of order: a late month first builds everything up to it, earlier
    # months are then read back, later ones resume from the newest point.
    order = months[:]
    random.Random(3).shuffle(order)
    for period in order:
        assert kept_json(cfg, period) == fresh_json(cfg, period), period


def test_kept_threads_are_the_threads_build_threads_gives(project: tuple[Config, Path]) -> None:
    cfg, notes = project
    days = write_history(notes, 30)
    end = months_of(days)[-1].end
    kept_json(cfg, months_of(days)[-1])
    db = open_db(cfg.db_path)
    try:
        _meetings, items, resolution = load_notes(db)
        built = build_threads(followed_items(cfg, items), cfg.tracking)
        notes_of = tracked.series_notes(meeting_rows(db), meeting_versions(db), resolution)
        (series,) = notes_of.values()
        read = tracked.kept_threads(db, series, since=date.min, end=end)
    finally:
        db.close()
    assert [(t.id, [i.key for i in t.items], t.joins) for t in read] == [
        (t.id, [i.key for i in t.items], t.joins) for t in built
    ]


def test_the_next_month_places_only_its_own_meetings(
    project: tuple[Config, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg, notes = project
    days = write_history(notes, 30)
    months = months_of(days)
    kept_json(cfg, months[-2])
    placed: list[date] = []
    add = SeriesTracker.add

    def counting(self: SeriesTracker, batch, *args, **kwargs):  # type: ignore[no-untyped-def]
        placed.append(batch[0].meeting_date)
        return add(self, batch, *args, **kwargs)

    monkeypatch.setattr(SeriesTracker, "add", counting)
    last = kept_json(cfg, months[-1])
    assert placed and all(Period.of(d) == months[-1] for d in placed)
    placed.clear()
    kept_json(cfg, months[-1])  # asked again: nothing to build
    kept_json(cfg, months[3])  # an earlier month: read back, nothing to build
    assert placed == []
    assert last == fresh_json(cfg, months[-1])


@pytest.mark.parametrize("back", [1, 3, 15], ids=["last-month", "3-months", "older-than-kept"])
def test_an_edited_earlier_note_is_followed_again(project: tuple[Config, Path], back: int) -> None:
    cfg, notes = project
    days = write_history(notes, 44)
    months = months_of(days)
    for period in months:  # as the monthly job goes: a point kept at every month's end
        kept_json(cfg, period)
    edited = next(d for d in days if Period.of(d) == months[-1 - back])
    path = notes / f"{edited.isoformat()}-heron.md"
    text = path.read_text().replace("- [ ]", "- [x]").replace(" -> in progress", " -> done")
    path.write_text(text + "- [ ] [ana] Order the spare buoys for the north shore\n")
    for period in (months[-1 - back], months[-1]):
        assert kept_json(cfg, period) == fresh_json(cfg, period)
    assert "spare buoys" in "".join(kept_json(cfg, months[-1 - back]))


def test_a_note_deleted_or_arriving_late_is_followed_again(project: tuple[Config, Path]) -> None:
    cfg, notes = project
    days = write_history(notes, 30)
    months = months_of(days)
    kept_json(cfg, months[-1])
    (notes / f"{days[-6].isoformat()}-heron.md").unlink()
    assert kept_json(cfg, months[-1]) == fresh_json(cfg, months[-1])
    extra = days[-4] + timedelta(days=3)
    (notes / f"{extra.isoformat()}-heron.md").write_text(
        meeting_note(extra, random.Random(11)) + "- [ ] [lin] Survey the reed beds\n"
    )
    assert kept_json(cfg, months[-1]) == fresh_json(cfg, months[-1])
    assert "reed beds" in "".join(kept_json(cfg, months[-1]))


def test_new_tracking_settings_rebuild_the_threads(project: tuple[Config, Path]) -> None:
    cfg, notes = project
    months = months_of(write_history(notes, 24))
    before = kept_json(cfg, months[-1])
    cfg.tracking.similarity = 60
    cfg.tracking.ignore = ["calibration"]
    after = kept_json(cfg, months[-1])
    assert after == fresh_json(cfg, months[-1])
    assert after != before and "calibration" not in "".join(after)


def test_kept_points_stay_few(project: tuple[Config, Path]) -> None:
    cfg, notes = project
    months = months_of(write_history(notes, 44))
    for period in months:
        kept_json(cfg, period)
    db = open_db(cfg.db_path)
    try:
        (series,) = {p.series for p in kept.points(db, "Heron Maintainers")}
        points = kept.points(db, series)
    finally:
        db.close()
    assert len(points) == tracked.KEPT_POINTS
    assert points[0].boundary == months[-1].end


def test_window_start_counts_months_with_meetings() -> None:
    from digest.app.digests import CONVENTION_MONTHS, window_start
    from digest.config.schema import TrackingConfig

    tracking = TrackingConfig()
    days = [date(2020, 1, 5) + timedelta(days=60 * k) for k in range(40)]  # every 2 months
    end = Period.of(days[-1]).end
    start = window_start(days, end, tracking)
    assert start == Period.of(days[-CONVENTION_MONTHS]).start
    assert window_start(days[:5], end, tracking) == date.min


def test_a_long_git_history_with_a_late_note_gives_the_fresh_digests(tmp_path: Path) -> None:
    """Beyond the window (24 months with meetings) a digest reads only the window's
    meetings and the earlier ones that arrived after their month: a note committed
    a year late is still listed as late once, as a build from scratch lists it."""
    from git_notes import GitNotes, git_source, make_config

    repo = GitNotes(tmp_path / "repo")
    rng = random.Random(5)
    days = [date(2031, 1, 7) + timedelta(days=28 * k) for k in range(40)]
    late = days[3]
    for day in days:
        if day == late:
            continue
        repo.write(f"notes/{day.isoformat()}-heron.md", meeting_note(day, rng))
        repo.commit(f"notes of {day}", f"{day.isoformat()}T18:00:00+00:00")
    months = months_of(days)
    committed = days[-8] + timedelta(days=2)
    repo.write(f"notes/{late.isoformat()}-heron.md", meeting_note(late, rng))
    repo.commit("the notes of an old meeting, found", f"{committed.isoformat()}T09:00:00+00:00")
    cfg = make_config(tmp_path, git_source(repo, glob=["notes/*.md"]))
    for period in months:
        assert kept_json(cfg, period) == fresh_json(cfg, period), period
    listed = [p for p in months if f"{late.isoformat()}-heron.md" in "".join(kept_json(cfg, p))]
    assert Period.of(committed) in listed


def test_meetings_copied_into_an_archive_note_are_the_same_meetings(
    project: tuple[Config, Path],
) -> None:
    """A release's archive file that repeats the month's meetings (Falco's do) adds no
    meeting and no mention: the digest is the one without it, kept or fresh."""
    cfg, notes = project
    days = write_history(notes, 12)
    month = months_of(days)[-1]
    before = kept_json(cfg, month)
    copied = [d for d in days if Period.of(d) == month]
    archive = "\n".join((notes / f"{d.isoformat()}-heron.md").read_text() for d in copied)
    (notes / "release-4.2-archive.md").write_text(archive)
    after, fresh = kept_json(cfg, month), fresh_json(cfg, month)
    assert after == fresh == before
    assert len(json.loads(before[0])["meetings"]) == len(copied)
