"""`digest sync`: new notes into the state, once, consistently, whatever happens."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from git_notes import GitNotes, git_source, make_config, note

from digest.app.digests import load_notes
from digest.app.sync import SyncReport, sync
from digest.config.schema import Config
from digest.state import notes as store
from digest.state.db import StateDB, open_db

REPO_ROOT = Path(__file__).resolve().parents[2]


def run(cfg: Config) -> tuple[SyncReport, StateDB]:
    db = open_db(cfg.db_path)
    return sync(cfg, db), db


def view(db: StateDB) -> dict[str, Any]:
    """The current view, without the columns that depend on when a sync ran."""
    meetings = db.conn.execute(
        "SELECT id, path, blob, series, title, date, line, end_line, commit_sha, committed_at "
        "FROM meetings ORDER BY id"
    ).fetchall()
    items = db.conn.execute(
        "SELECT key, text, status, owners, refs, commit_sha, committed_at FROM items ORDER BY key"
    ).fetchall()
    documents = db.conn.execute(
        "SELECT source, path, blob, commit_sha, committed_at, deleted, current, warnings "
        "FROM documents ORDER BY source, path, blob"
    ).fetchall()
    cursor = db.conn.execute("SELECT name, last_commit FROM sources ORDER BY name").fetchall()
    return {"meetings": meetings, "items": items, "documents": documents, "sources": cursor}


@pytest.fixture
def repo(tmp_path: Path) -> GitNotes:
    return GitNotes(tmp_path / "kelpie-notes")


def test_first_sync_then_one_new_commit_processed_alone(tmp_path: Path, repo: GitNotes) -> None:
    repo.write("notes/2026-01-08.md", note("2026-01-08", "[ ] [ana] tide model", "[ ] [bo] docs"))
    repo.write("notes/2026-02-05.md", note("2026-02-05", "[x] [ana] tide model"))
    repo.commit("two notes", "2026-02-06T09:00:00Z")
    cfg = make_config(tmp_path, git_source(repo))

    report, db = run(cfg)
    assert (report.new_notes, report.meetings, report.items, report.warnings) == (2, 2, 3, [])
    assert report.summary() == "synced 1 source: 2 new notes, 2 meetings, 3 items, 0 warnings"

    repo.write("notes/2026-03-05.md", note("2026-03-05", "[ ] [cy] moon phases -> in flight"))
    new_head = repo.commit("march", "2026-03-06T09:00:00Z")
    report, db = run(cfg)
    assert report.new_notes == 1
    assert report.per_source["kelpie"].items == 1
    (march,) = store.load_meetings(db, series=None)[-1:]
    assert (march.date, march.commit) == (date(2026, 3, 5), new_head)
    assert march.committed_at == datetime(2026, 3, 6, 9, tzinfo=UTC)
    assert store.get_source(db, "kelpie").last_commit == new_head  # type: ignore[union-attr]

    again, _ = run(cfg)
    assert (again.new_notes, again.deleted_notes, again.warnings) == (0, 0, [])


def test_an_edit_replaces_items_but_keeps_when_the_meeting_first_appeared(
    tmp_path: Path, repo: GitNotes
) -> None:
    repo.write("notes/2026-01-08.md", note("2026-01-08", "[ ] [ana] tide model"))
    repo.commit("first", "2026-01-09T09:00:00Z")
    cfg = make_config(tmp_path, git_source(repo))
    run(cfg)
    repo.write("notes/2026-01-08.md", note("2026-01-08", "[x] [ana] tide model", "[ ] [bo] docs"))
    edit = repo.commit("late edit", "2026-02-20T09:00:00Z")

    report, db = run(cfg)
    assert report.new_notes == 1
    (meeting,) = store.load_meetings(db)
    assert meeting.committed_at == datetime(2026, 1, 9, 9, tzinfo=UTC)  # the first version's
    assert meeting.commit == edit  # line numbers refer to the new version
    items = store.load_items(db)
    assert [(i.text, i.status, i.line) for i in items] == [
        ("[ana] tide model", "done", 5),
        ("[bo] docs", "open", 6),
    ]
    assert all(i.commit == edit for i in items)


def test_a_deleted_note_leaves_the_view_but_its_row_stays(tmp_path: Path, repo: GitNotes) -> None:
    repo.write("notes/a.md", note("2026-01-08", "[ ] one"))
    repo.write("notes/b.md", note("2026-01-15", "[ ] two"))
    repo.commit("both", "2026-01-16T09:00:00Z")
    cfg = make_config(tmp_path, git_source(repo))
    run(cfg)
    repo.remove("notes/b.md")
    repo.commit("drop b", "2026-01-20T09:00:00Z")

    report, db = run(cfg)
    assert report.deleted_notes == 1
    assert [m.path for m in store.load_meetings(db)] == ["notes/a.md"]
    assert [i.path for i in store.load_items(db)] == ["notes/a.md"]
    deleted = db.conn.execute("SELECT deleted FROM documents WHERE path = 'notes/b.md'").fetchall()
    assert deleted == [(1,)]


def test_a_rename_keeps_the_first_appearance(tmp_path: Path, repo: GitNotes) -> None:
    repo.write("notes/jan-8.md", note("2026-01-08", "[ ] one"))
    repo.commit("first", "2026-01-09T09:00:00Z")
    cfg = make_config(tmp_path, git_source(repo))
    run(cfg)
    repo.git("mv", "notes/jan-8.md", "notes/2026-01-08-kelpie-sync.md")
    repo.commit("rename", "2026-03-01T09:00:00Z")

    _, db = run(cfg)
    (meeting,) = store.load_meetings(db)
    assert meeting.path == "notes/2026-01-08-kelpie-sync.md"
    assert meeting.committed_at == datetime(2026, 1, 9, 9, tzinfo=UTC)


def test_force_push_neither_duplicates_nor_loses_meetings(tmp_path: Path, repo: GitNotes) -> None:
    repo.write("notes/a.md", note("2026-01-08", "[ ] one"))
    repo.commit("a", "2026-01-09T09:00:00Z")
    repo.write("notes/b.md", note("2026-01-15", "[ ] two"))
    repo.commit("b", "2026-01-16T09:00:00Z")
    cfg = make_config(tmp_path, git_source(repo))
    run(cfg)
    # Rewrite: drop b's commit, edit a, add c, as a force-push would.
    repo.git("reset", "-q", "--hard", "HEAD~1")
    repo.write("notes/a.md", note("2026-01-08", "[x] one"))
    repo.write("notes/c.md", note("2026-01-22", "[ ] three"))
    repo.commit("rewritten", "2026-01-23T09:00:00Z")

    report, db = run(cfg)
    assert any("was rewritten" in w for w in report.warnings)
    clean_cfg = make_config(tmp_path / "clean", git_source(repo))
    _, clean_db = run(clean_cfg)
    assert [m.id for m in store.load_meetings(db)] == [m.id for m in store.load_meetings(clean_db)]
    assert [(i.key, i.status) for i in store.load_items(db)] == [
        (i.key, i.status) for i in store.load_items(clean_db)
    ]
    a = next(m for m in store.load_meetings(db) if m.path == "notes/a.md")
    assert a.committed_at == datetime(2026, 1, 9, 9, tzinfo=UTC)  # not lost, not re-dated

    assert run(cfg)[0].warnings == []  # reported once


def test_bad_files_warn_once_and_the_rest_syncs(tmp_path: Path, repo: GitNotes) -> None:
    repo.write("notes/binary.md", b"\x00\x01\x02")
    repo.write("notes/latin1.md", "# 2026-01-08 caf\u00e9\n".encode("latin-1"))
    repo.write("notes/empty.md", "")
    repo.write("notes/huge.md", note("2026-01-08", *(f"[ ] item {n}" for n in range(100))))
    odd = "notes/docs(notes): 2026-01-08 Kelpie Sync ü.md"
    repo.write(odd, note("2026-01-08", "[ ] [ana] odd but fine"))
    repo.commit("mixed", "2026-01-09T09:00:00Z")
    cfg = make_config(tmp_path, git_source(repo, max_note_bytes=1000))

    report, db = run(cfg)
    assert len(report.warnings) == 4
    for path in ("binary.md", "latin1.md", "empty.md", "huge.md"):
        assert sum(f'source "kelpie": notes/{path} at ' in w for w in report.warnings) == 1
    assert [m.path for m in store.load_meetings(db)] == [odd]
    assert len(store.document_warnings(db)) == 4
    assert run(cfg)[0].warnings == []


def test_a_failing_source_is_one_sentence_and_others_still_sync(
    tmp_path: Path, repo: GitNotes
) -> None:
    repo.write("notes/a.md", note("2026-01-08", "[ ] one"))
    repo.commit("a", "2026-01-09T09:00:00Z")
    missing = git_source(tmp_path / "gone", name="gone")
    cfg = make_config(tmp_path, missing, git_source(repo))

    report, db = run(cfg)
    assert report.warnings == [
        f'source "gone": cannot fetch {tmp_path / "gone"}: no such file or folder.'
    ]
    assert report.failed == ["gone"]
    assert report.summary().endswith("(1 source failed)")
    assert len(store.load_meetings(db)) == 1


def test_dir_source_syncs_by_content_hash(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "2026-01-08.md").write_text(note("2026-01-08", "[ ] one"))
    (folder / "2026-01-15.md").write_text(note("2026-01-15", "[ ] two"))
    cfg = make_config(tmp_path, {"name": "folder", "kind": "dir", "path": "notes"})
    assert run(cfg)[0].new_notes == 2

    os.utime(folder / "2026-01-08.md")
    (folder / "2026-01-15.md").write_text(note("2026-01-15", "[x] two"))
    (folder / "2026-01-08.md").unlink()
    report, db = run(cfg)
    assert (report.new_notes, report.deleted_notes) == (1, 1)
    assert [(i.meeting_date, i.status) for i in store.load_items(db)] == [
        (date(2026, 1, 15), "done")
    ]
    # The folder disappears (an unmounted disk): a warning, and nothing is deleted.
    folder.rename(tmp_path / "elsewhere")
    report, db = run(cfg)
    assert report.failed == ["folder"]
    assert len(store.load_meetings(db)) == 1


def test_a_folder_sync_keeps_what_it_saw_and_still_finds_every_edit(tmp_path: Path) -> None:
    """The state keeps each file's stat beside its stored hash, so later syncs read only
    changed files; an edit that keeps size and mtime, a deletion and a source that
    leaves the config are all still seen."""
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "2026-01-08.md").write_text(note("2026-01-08", "[ ] tide tables"))
    (folder / "2026-01-15.md").write_text(note("2026-01-15", "[ ] moon data"))
    cfg = make_config(tmp_path, {"name": "folder", "kind": "dir", "path": "notes"})
    db = open_db(cfg.db_path)
    later = datetime.now(UTC) + timedelta(minutes=1)  # nothing written "just now"

    def kept() -> list[str]:
        return [path for (path,) in db.execute("SELECT path FROM folder_files ORDER BY path")]

    assert sync(cfg, db, now=later).new_notes == 2
    assert kept() == []  # nothing was stored when the files were read
    assert sync(cfg, db, now=later).new_notes == 0
    assert kept() == ["2026-01-08.md", "2026-01-15.md"]

    edited = folder / "2026-01-15.md"
    before = edited.stat()
    edited.write_text(note("2026-01-15", "[x] moon data"))  # same size, same mtime
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns))
    (folder / "2026-01-08.md").unlink()
    report = sync(cfg, db, now=later)
    assert (report.new_notes, report.deleted_notes) == (1, 1)
    assert [(i.meeting_date, i.status) for i in store.load_items(db)] == [
        (date(2026, 1, 15), "done")
    ]
    assert kept() == []  # the edited file is vouched for once its version is stored
    sync(cfg, db, now=later)
    assert kept() == ["2026-01-15.md"]

    # A source that leaves the config leaves nothing behind.
    cfg.sources = []
    sync(cfg, db, now=later)
    assert kept() == []


def test_feed_source_syncs_entries(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_text(
        """<?xml version="1.0"?><rss version="2.0"><channel><title>Kelpie</title>
        <item><title>2026-02-05 Kelpie Sync</title><guid>urn:kelpie:1</guid>
        <pubDate>Fri, 06 Feb 2026 10:00:00 GMT</pubDate>
        <description>&lt;h2&gt;Action items&lt;/h2&gt;&lt;ul&gt;&lt;li&gt;[ana] tide
        tables -&amp;gt; in progress&lt;/li&gt;&lt;/ul&gt;</description></item>
        </channel></rss>""",
        encoding="utf-8",
    )
    cfg = make_config(tmp_path, {"name": "calls", "kind": "feed", "url": "feed.xml"})
    report, db = run(cfg)
    assert report.new_notes == 1
    (item,) = store.load_items(db)
    assert (item.meeting_date, item.owners, item.status) == (date(2026, 2, 5), ["ana"], "open")
    assert item.committed_at == datetime(2026, 2, 6, 10, tzinfo=UTC)
    assert run(cfg)[0].new_notes == 0


def test_changed_settings_or_a_removed_source_rebuild_the_view(
    tmp_path: Path, repo: GitNotes
) -> None:
    repo.write("notes/a.md", note("2026-01-08", "[ ] one"))
    repo.write("other/b.md", note("2026-01-15", "[ ] two"))
    repo.commit("a and b", "2026-01-16T09:00:00Z")
    cfg = make_config(tmp_path, git_source(repo))
    assert run(cfg)[0].meetings == 1

    wider = make_config(tmp_path, git_source(repo, glob=["notes/*.md", "other/*.md"]))
    report, db = run(wider)
    assert report.meetings == 2
    assert {m.path for m in store.load_meetings(db)} == {"notes/a.md", "other/b.md"}

    renamed = make_config(tmp_path, git_source(repo, name="kelpie-notes"))
    report, db = run(renamed)
    assert report.meetings == 1  # not twice under two names
    assert {m.source for m in store.load_meetings(db)} == {"kelpie-notes"}


def test_the_sync_command_prints_a_summary(tmp_path: Path, repo: GitNotes) -> None:
    repo.write("notes/a.md", note("2026-01-08", "[ ] one"))
    repo.write("notes/bad.md", b"\xff\xfe")
    repo.commit("a", "2026-01-09T09:00:00Z")
    config = write_config(tmp_path, repo.path)
    proc = digest_cli(config, "sync")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[-1] == "synced 1 source: 1 new note, 1 meeting, 1 item, 1 warning"
    assert lines[0].startswith('warning: source "kelpie": notes/bad.md at ')
    assert "Traceback" not in proc.stderr


def write_config(tmp_path: Path, url: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[digest]\nstate_dir = "state"\n\n[[sources]]\nname = "kelpie"\nkind = "git"\n'
        f'url = "{url}"\nglob = ["notes/*.md"]\n',
        encoding="utf-8",
    )
    return config


def digest_cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "digest", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )


def fast_import_notes(repo: GitNotes, count: int, items: int) -> None:
    """`count` commits of one note each, in one `git fast-import` (fast to build)."""
    stream: list[bytes] = []
    for n in range(count):
        day = date.fromordinal(date(2024, 1, 1).toordinal() + 7 * n)
        text = note(
            day.isoformat(), *(f"[ ] [ana] task {n}.{k} for the tides" for k in range(items))
        )
        data = text.encode()
        stamp = int(datetime(day.year, day.month, day.day, 18, tzinfo=UTC).timestamp())
        message = f"note {n}".encode()
        stream += [
            b"commit refs/heads/main\n",
            b"committer Test Writer <writer@example.org> %d +0000\n" % stamp,
            b"data %d\n%s\n" % (len(message), message),
            b"M 100644 inline notes/%s.md\n" % day.isoformat().encode(),
            b"data %d\n%s\n" % (len(data), data),
        ]
    subprocess.run(
        ["git", "-C", str(repo.path), "fast-import", "--quiet"],
        input=b"".join(stream),
        check=True,
    )
    repo.git("reset", "-q", "--hard", "main")


def test_sigkill_mid_sync_then_rerun_equals_a_clean_sync(tmp_path: Path, repo: GitNotes) -> None:
    # Enough commits that the sync lasts several of its half-second commit groups.
    commits = 600
    fast_import_notes(repo, commits, items=6)
    config = write_config(tmp_path, repo.path)
    db_path = tmp_path / "state" / "state.db"

    proc = subprocess.Popen(
        [sys.executable, "-m", "digest", "--config", str(config), "sync"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    done = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        done = processed_commits(db_path)
        if done >= 3:
            break
        time.sleep(0.002)  # polling a condition, with a deadline
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    partial = processed_commits(db_path)
    assert 3 <= partial < commits, f"the sync was not caught half-way ({partial})"

    # The partial state is consistent: each stored note has exactly its meeting.
    db = sqlite3.connect(db_path)
    notes = db.execute("SELECT count(*) FROM documents WHERE current = 1").fetchone()[0]
    meetings = db.execute("SELECT count(*) FROM meetings").fetchone()[0]
    assert notes == meetings == partial
    db.close()

    rerun = digest_cli(config, "sync")
    assert rerun.returncode == 0, rerun.stderr
    assert f"{commits - partial} new notes" in rerun.stderr

    clean_cfg = make_config(tmp_path / "clean", git_source(repo))
    _, clean_db = run(clean_cfg)
    resumed = open_db(db_path)
    assert view(resumed) == view(clean_db)


def processed_commits(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)
        try:
            return int(db.execute("SELECT count(*) FROM documents").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0  # not created or migrated yet


# ---- the real corpus (skipped where absent) -------------------------------------------------

CORE_DATES = [
    "2023-06-08",
    "2023-07-06",
    "2023-08-03",
    "2023-09-07",
    "2023-10-05",
    "2023-11-02",
    "2023-12-14",
    "2024-02-01",
    "2024-03-07",
    "2024-06-06",
    "2024-09-05",
    "2025-02-20",
]


@pytest.mark.corpus
def test_corpus_sync(falco_bundle: Path, tmp_path: Path) -> None:
    clone = GitNotes.__new__(GitNotes)
    clone.path = tmp_path / "falco"
    subprocess.run(["git", "clone", "-q", str(falco_bundle), str(clone.path)], check=True)
    clone.git("config", "user.name", "Test Writer")
    clone.git("config", "user.email", "writer@example.org")
    source = {
        "name": "falco",
        "kind": "git",
        "url": str(clone.path),
        "glob": ["meeting-notes/*.md"],
    }
    cfg = make_config(tmp_path, source)

    started = time.monotonic()
    report, db = run(cfg)
    assert time.monotonic() - started < 30
    core = store.load_meetings(db, series="Falco Core Maintainers")
    assert [m.date.isoformat() for m in core] == CORE_DATES
    odd = next(m for m in core if m.date == date(2024, 9, 5))
    assert odd.path == "meeting-notes/docs(meeting-notes): 2024-09-05-Falco-Core-Maintainers.md"
    calls = [m for m in store.load_meetings(db) if m.path == "meeting-notes/release-0.37.0.md"]
    assert len(calls) >= 5
    assert {m.series for m in calls} == {"Falco Community Call"}
    assert len(store.load_meetings(db, series="Falco Community Call")) > 100
    assert "Falco Core Maintainers" in store.list_series(db)
    assert any(i.refs for i in store.load_items(db, series="Falco Core Maintainers"))
    # A meeting keeps the date it was FIRST committed, through later edits.
    seed = next(m for m in core if m.date == date(2023, 11, 2))
    assert seed.committed_at is not None and seed.committed_at.date() == date(2023, 11, 24)

    started = time.monotonic()
    again, _ = run(cfg)
    assert again.new_notes == 0 and again.warnings == []
    assert time.monotonic() - started < 1.0

    clone.write("meeting-notes/2026-02-05-Falco-Core-Maintainers.md", KELPIE_STYLE_NOTE)
    clone.commit("a new note", "2026-02-06T10:00:00Z")
    report, db = run(cfg)
    assert (report.new_notes, report.per_source["falco"].meetings) == (1, 1)
    assert store.load_meetings(db, series="Falco Core Maintainers")[-1].date == date(2026, 2, 5)


# Written for this test (not corpus text), in the corpus's one-meeting-per-file shape.
KELPIE_STYLE_NOTE = """\
# 2026-02-05 Falco Core Maintainers (monthly)

## Action items

- [ ] [ana] check the new test note gets synced alone
"""


def test_a_warning_repeated_by_two_versions_of_a_note_is_reported_once(
    tmp_path: Path, repo: GitNotes, caplog: pytest.LogCaptureFixture
) -> None:
    # Both versions of the undated note are read in one run; each says "no date".
    repo.write("notes/planning.md", "# Kelpie planning\n\n## Agenda\n\n- tide model\n")
    repo.commit("planning", "2026-03-02T09:00:00Z")
    repo.write("notes/planning.md", "# Kelpie planning\n\n## Agenda\n\n- tide model v2\n")
    repo.commit("planning, edited", "2026-03-03T09:00:00Z")
    cfg = make_config(tmp_path, git_source(repo))

    with caplog.at_level("WARNING", logger="digest"):
        report, _ = run(cfg)

    expected = (
        "kelpie:notes/planning.md: no date in the headings or the file name; "
        "using the commit date 2026-03-02."
    )
    assert report.warnings == [expected]
    assert [r.getMessage() for r in caplog.records] == [expected]
    assert report.summary().endswith("1 warning")


def test_a_titleless_note_takes_the_series_of_its_titled_siblings(
    tmp_path: Path, repo: GitNotes
) -> None:
    call = "# Kelpie Community Call\n\n## 2026-01-14\n\n### Agenda\n\n- buoy feed\n"
    repo.write("notes/release-1.4.0.md", call)
    repo.write("notes/release-1.5.0.md", call.replace("2026-01-14", "2026-02-11"))
    repo.commit("two releases", "2026-02-12T09:00:00Z")
    # Only dated headings, no "# Kelpie Community Call" title: named like the others.
    repo.write("notes/release-1.6.0.md", "## 2026-03-11\n\n### Agenda\n\n- tide API\n")
    repo.write("notes/standup-2026-03-12.md", "## 2026-03-12\n\n- buoy firmware\n")
    repo.commit("1.6 and a standup", "2026-03-13T09:00:00Z")
    cfg = make_config(tmp_path, git_source(repo))

    report, db = run(cfg)

    notes, items_read, _ = load_notes(db)
    meetings = {m.path: m for m in notes}
    assert meetings["notes/release-1.6.0.md"].series == "Kelpie Community Call"
    assert meetings["notes/release-1.6.0.md"].title == "Kelpie Community Call 2026-03-11"
    items = [i.series for i in items_read if i.path == "notes/release-1.6.0.md"]
    assert items == ["Kelpie Community Call"]
    series = {path: m.series for path, m in meetings.items()}
    # No titled sibling: the file name's words, and one warning saying so.
    assert series["notes/standup-2026-03-12.md"] == "Standup"
    assert report.warnings == [
        "kelpie:notes/standup-2026-03-12.md: no title heading and no titled note named "
        'like it; its meetings are in series "Standup" (add a title heading, or set '
        "`series` on the source)."
    ]


def test_a_titleless_note_read_in_a_later_run_finds_its_siblings_in_the_state(
    tmp_path: Path, repo: GitNotes
) -> None:
    repo.write("notes/release-1.4.0.md", "# Kelpie Community Call\n\n## 2026-01-14\n\n- feed\n")
    repo.commit("1.4", "2026-01-15T09:00:00Z")
    cfg = make_config(tmp_path, git_source(repo))
    run(cfg)
    repo.write("notes/release-1.5.0.md", "## 2026-02-11\n\n- tide API\n")
    repo.commit("1.5", "2026-02-12T09:00:00Z")

    report, db = run(cfg)

    assert report.warnings == []
    series = {m.path: m.series for m in load_notes(db)[0]}
    assert series["notes/release-1.5.0.md"] == "Kelpie Community Call"


def test_a_meeting_the_notes_call_off_is_stored_as_not_held(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "2026-01-08.md").write_text(note("2026-01-08", "[ ] tide model"))
    (folder / "2026-01-15.md").write_text(
        "# Kelpie Sync 2026-01-15\n\n## Agenda\n\n- Cancelled: half of us are travelling\n"
    )
    cfg = make_config(tmp_path, {"name": "folder", "kind": "dir", "path": "notes"})
    _, db = run(cfg)
    assert [(m.date.isoformat(), m.not_held) for m in store.load_meetings(db)] == [
        ("2026-01-08", ""),
        ("2026-01-15", "Cancelled: half of us are travelling"),
    ]
    notice = next(i for i in store.load_items(db) if i.text.startswith("Cancelled"))
    assert (notice.kind, notice.followed) == ("placeholder", False)


def test_an_undated_note_in_a_folder_names_its_modification_date(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "planning.md").write_text("# Kelpie planning\n\n## Agenda\n\n- tide model\n")
    stamp = datetime(2026, 3, 2, 9, tzinfo=UTC).timestamp()
    os.utime(folder / "planning.md", (stamp, stamp))
    cfg = make_config(tmp_path, {"name": "folder", "kind": "dir", "path": "notes"})
    report, _ = run(cfg)
    assert report.warnings == [
        "folder:planning.md: no date in the headings or the file name; using the file's "
        "modification date 2026-03-02."
    ]


def test_an_undated_feed_entry_names_the_entry_date(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_text(
        """<?xml version="1.0"?><rss version="2.0"><channel><title>Kelpie</title>
        <item><title>Kelpie planning</title><guid>urn:kelpie:7</guid>
        <pubDate>Fri, 06 Feb 2026 10:00:00 GMT</pubDate>
        <description>&lt;ul&gt;&lt;li&gt;tide tables&lt;/li&gt;&lt;/ul&gt;</description></item>
        </channel></rss>""",
        encoding="utf-8",
    )
    cfg = make_config(tmp_path, {"name": "calls", "kind": "feed", "url": "feed.xml"})
    report, _ = run(cfg)
    assert len(report.warnings) == 1
    assert report.warnings[0].endswith(
        ": no date in the headings or the file name; using the entry's date 2026-02-06."
    )


def test_a_glob_matching_no_file_warns_once_and_double_star_matches_no_folder(
    tmp_path: Path, repo: GitNotes
) -> None:
    repo.write("meeting-notes/2026-01-08.md", note("2026-01-08", "[ ] [ana] tide model"))
    repo.commit("a top-level note", "2026-01-09T09:00:00Z")
    # "**/" matches zero folders too, as in gitignore: the top-level note is read.
    cfg = make_config(tmp_path, git_source(repo, glob=["meeting-notes/**/*.md"]))
    report, _ = run(cfg)
    assert (report.new_notes, report.warnings) == (1, [])

    wrong = make_config(tmp_path / "wrong", git_source(repo, glob=["notes/*.md"]))
    report, _ = run(wrong)
    expected = (
        f'source "kelpie": glob "notes/*.md" matches no file in {repo.path}; '
        "check [[sources]] glob."
    )
    assert report.warnings == [expected]
    assert run(wrong)[0].warnings == [expected]  # every sync, while nothing is found

    folder = tmp_path / "flat"
    folder.mkdir()
    (folder / "2026-01-08.md").write_text(note("2026-01-08", "[ ] one"))
    flat = {"name": "folder", "kind": "dir", "path": "flat", "glob": ["notes/**/*.txt", "*.rst"]}
    report, _ = run(make_config(tmp_path, flat))
    assert report.warnings == [
        f'source "folder": globs "notes/**/*.txt", "*.rst" match no file in {folder}; '
        "check [[sources]] glob."
    ]


def test_two_configs_never_share_the_default_state_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without [digest] state_dir every config of a user lands in one folder: a second
    project's sync would forget the first one's sources (same-named or not). It is
    refused in one sentence; a config that was moved takes the folder over."""
    from digest.config.load import load_config
    from digest.errors import UserError

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    configs = []
    for project in ("heron", "kestrel"):
        folder = tmp_path / project
        (folder / "notes").mkdir(parents=True)
        (folder / "notes" / f"2031-01-08-{project}.md").write_text(
            f"# 2031-01-08 {project.title()} Sync\n\n## Action items\n\n- [ ] [ann] plan\n"
        )
        (folder / "config.toml").write_text(
            f'[[sources]]\nname = "notes"\nkind = "dir"\npath = "notes"\n'
            f'[mail]\nfrom = "d <d@{project}.example.org>"\ntransport = "outbox"\n'
        )
        configs.append(folder / "config.toml")
    first, second = (load_config(path) for path in configs)
    assert first.state_dir == second.state_dir
    report, db = run(first)
    db.close()
    assert report.new_notes == 1
    with pytest.raises(UserError) as refused:
        run(second)
    message = str(refused.value)
    assert "heron" in message and "state_dir" in message and "\n" not in message
    db = open_db(first.db_path)
    assert [m.series for m in load_notes(db)[0]] == ["Heron Sync"]
    db.close()
    configs[0].unlink()  # the first project moved away: the folder is free again
    report, db = run(second)
    assert [m.series for m in load_notes(db)[0]] == ["Kestrel Sync"]
    db.close()
