"""`digest sync` of a whole history at once stores what syncing it commit by commit
stores; `since` starts a new state part-way through a history."""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from git_notes import GitNotes, git_source, make_config, note

from digest.app.sync import SyncReport, sync
from digest.config.schema import Config, ConfigError
from digest.state.db import StateDB, open_db

SHARED = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def run(cfg: Config) -> tuple[SyncReport, StateDB]:
    db = open_db(cfg.db_path)
    return sync(cfg, db), db


def stored(db: StateDB) -> dict[str, list[Any]]:
    """Everything a sync stores of the notes, without when it ran (seen_at)."""
    out: dict[str, list[Any]] = {}
    for table, order in (("meetings", "id"), ("items", "key"), ("documents", "path, blob")):
        columns = [
            row[1]
            for row in db.conn.execute(f"PRAGMA table_info({table})")
            if row[1] not in ("seen_at", "id") or (table == "meetings" and row[1] == "id")
        ]
        out[table] = db.conn.execute(
            f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}"
        ).fetchall()
    return out


def commit_by_commit(tmp_path: Path, repo: Path, **source: Any) -> dict[str, list[Any]]:
    """The state after syncing the history of `repo` one commit at a time (each version
    read on its own, as an hourly sync of a live repository reads it)."""
    shas = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--first-parent", "--reverse", "HEAD"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.split()
    cfg = make_config(tmp_path / "stepwise", git_source(repo, branch="digest-step", **source))
    db = open_db(cfg.db_path)
    for sha in shas:
        subprocess.run(["git", "-C", str(repo), "branch", "-f", "digest-step", sha], check=True)
        sync(cfg, db)
    subprocess.run(["git", "-C", str(repo), "branch", "-D", "digest-step"], check=True)
    return stored(db)


def call_file(*days: str) -> str:
    """A many-meetings note, newest first."""
    blocks = [f"## {d}\n\n### Action items\n\n- [ ] [ana] follow-up of {d}\n" for d in days]
    return "# Kelpie Community Call\n\n" + "\n".join(reversed(blocks))


@pytest.fixture
def history(tmp_path: Path) -> GitNotes:
    """Notes edited, grown, renamed, deleted and broken over a few commits."""
    repo = GitNotes(tmp_path / "kelpie-notes")
    repo.write("notes/2023-12-07.md", note("2023-12-07", "[ ] [ana] tide model"))
    repo.write("notes/call.md", call_file("2023-12-14"))
    repo.commit("december", "2023-12-15T09:00:00Z")
    repo.write("notes/2024-01-04.md", note("2024-01-04", "[ ] [bo] agenda written early"))
    repo.commit("agenda", "2023-12-28T09:00:00Z")
    repo.write("notes/call.md", call_file("2023-12-14", "2024-01-11"))
    repo.write("notes/2023-12-07.md", note("2023-12-07", "[x] [ana] tide model"))
    repo.commit("january", "2024-01-12T09:00:00Z")
    repo.write("notes/2024-01-18.md", note("2024-01-18", "[ ] [cy] written up late"))
    repo.write("notes/broken.md", note("2024-01-25", "[ ] [ana] readable once"))
    repo.commit("late note", "2024-02-20T09:00:00Z")
    repo.git("mv", "notes/2024-01-18.md", "notes/2024-01-18-kelpie.md")
    repo.write("notes/call.md", call_file("2023-12-14", "2024-01-11", "2024-02-22"))
    repo.write("notes/broken.md", b"\x89PNG\r\n\x1a\n\x00\x00")
    repo.commit("rename, a binary over a note", "2024-02-23T09:00:00Z")
    repo.remove("notes/2024-01-04.md")
    repo.commit("drop the agenda", "2024-03-01T09:00:00Z")
    return repo


def test_a_cold_sync_stores_what_a_sync_per_commit_stores(
    tmp_path: Path, history: GitNotes
) -> None:
    cold, db = run(make_config(tmp_path / "cold", git_source(history)))
    assert cold.new_notes == 4
    state = stored(db)
    # The note whose later version is binary keeps its meetings and their items.
    assert any("notes/broken.md" in row for row in state["items"])
    assert state == commit_by_commit(tmp_path, history.path)


def bundles() -> list[Any]:
    # The globs of ../shared/eval/gold.
    globs = {
        "falco-community-notes": ["meeting-notes/*.md"],
        "nodejs-TSC-notes": ["meetings/*.md"],
        "emberjs-core-notes-notes": ["docs-team/201[6-9]-*/*.md"],
        "scikit-learn-administrative-notes": ["meeting_notes/*.md", "monthly_meetings/*.md"],
    }
    return [pytest.param(name, glob, id=name) for name, glob in globs.items()]


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "glob"), bundles())
def test_a_cold_sync_of_a_real_history_stores_what_a_sync_per_commit_stores(
    tmp_path: Path, name: str, glob: list[str]
) -> None:
    bundle = SHARED / f"{name}.bundle"
    if not bundle.is_file():
        pytest.skip(f"the corpus is not at {bundle} (../shared is absent)")
    if name != "falco-community-notes" and os.environ.get("DIGEST_ALL_CORPORA") != "1":
        pytest.skip("DIGEST_ALL_CORPORA=1 checks this corpus too (20 to 90 s each)")
    clone = tmp_path / name
    subprocess.run(["git", "clone", "-q", str(bundle), str(clone)], check=True)
    _, db = run(make_config(tmp_path / "cold", git_source(clone, glob=glob)))
    assert stored(db) == commit_by_commit(tmp_path, clone, glob=glob)


# ---- since -------------------------------------------------------------------------


def meetings(db: StateDB) -> list[tuple[str, str, str]]:
    rows = db.conn.execute("SELECT path, date, committed_at FROM meetings ORDER BY date, path")
    return [(p, d, c) for p, d, c in rows]


def test_since_a_date_reads_only_what_changed_from_it_on(tmp_path: Path, history: GitNotes) -> None:
    _, full = run(make_config(tmp_path / "full", git_source(history)))
    cfg = make_config(tmp_path / "since", git_source(history, since="2024-01-01"))
    report, db = run(cfg)
    assert report.failed == []
    # Versions committed before 2024 were not read, except the one the call file
    # had then: its meetings already there keep their first commit.
    versions = db.conn.execute("SELECT path, commit_sha FROM documents").fetchall()
    assert len(versions) < len(full.conn.execute("SELECT * FROM documents").fetchall())
    # The agenda committed before it and not changed again until deleted is not read.
    assert "notes/2024-01-04.md" not in {p for p, _ in versions}
    # Meetings held before it are not kept; the others are those of a full sync, with
    # the same first commits (so a note is "late" exactly when it is after a full sync)
    # but for a note committed before it and never changed since (not read).
    kept = meetings(db)
    assert all(d >= "2024-01-01" for _, d, _ in kept)
    expected = [m for m in meetings(full) if m[1] >= "2024-01-01" and m[0] != "notes/2024-01-04.md"]
    assert kept == expected
    call = [m for m in kept if m[0] == "notes/call.md"]
    assert [c[:10] for _, _, c in call] == ["2024-01-12", "2024-02-23"]

    # A later commit is read as usual, and old meetings stay out.
    history.write(
        "notes/call.md", call_file("2023-12-14", "2024-01-11", "2024-02-22", "2024-03-07")
    )
    history.commit("march", "2024-03-08T09:00:00Z")
    again, db = run(cfg)
    assert again.new_notes == 1
    assert [d for p, d, _ in meetings(db) if p == "notes/call.md"] == [
        "2024-01-11",
        "2024-02-22",
        "2024-03-07",
    ]


def test_since_a_commit_is_the_same_as_since_its_date(tmp_path: Path, history: GitNotes) -> None:
    agenda = history.git("rev-parse", "HEAD~4")  # committed on 2023-12-28
    _, by_commit = run(make_config(tmp_path / "c", git_source(history, since=agenda[:10])))
    _, by_date = run(make_config(tmp_path / "d", git_source(history, since="2023-12-29")))
    assert meetings(by_commit) == meetings(by_date)
    dates = ["2024-01-11", "2024-01-18", "2024-01-25", "2024-02-22"]
    assert [d for _, d, _ in meetings(by_commit)] == dates


def test_since_an_unknown_commit_names_the_file_and_key(tmp_path: Path, history: GitNotes) -> None:
    cfg = make_config(tmp_path, git_source(history, since="deadbeef"))
    report, _ = run(cfg)
    (error,) = [s.error for s in report.per_source.values()]
    assert error == (
        f'{tmp_path / "config.toml"}: [[sources]] #1 since "deadbeef" is not a commit of the '
        f"default branch of {history.path}; give a commit hash from its history or a date "
        'like "2024-01-01".'
    )


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2024-13-01", 'got "2024-13-01", which is not a valid date.'),
        ("last year", 'must be a date like "2024-01-01" or a commit hash, got "last year".'),
    ],
)
def test_since_must_be_a_date_or_a_commit(tmp_path: Path, value: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make_config(tmp_path, git_source(tmp_path, since=value))
    assert str(caught.value).startswith(f"{tmp_path / 'config.toml'}: [[sources]] #1 since ")
    assert str(caught.value).endswith(words)


def test_since_is_for_git_sources_and_takes_a_toml_date(tmp_path: Path) -> None:
    folder = {"name": "f", "kind": "dir", "path": "notes", "since": "2024-01-01"}
    with pytest.raises(ConfigError, match="since is read for git sources only"):
        make_config(tmp_path, folder)
    cfg = make_config(tmp_path, git_source(tmp_path, since=date(2024, 1, 1)))
    assert cfg.sources[0].since == "2024-01-01"
