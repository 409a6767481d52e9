"""The real `digest` command (a subprocess, as a user runs it) when the state is unusable
or the run is interrupted: one sentence naming the file, never a traceback."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from notes_project import CLI_ENV, make_project
from notes_project import digest_process as digest

from digest.state.db import SCHEMA_VERSION


def one_sentence(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    return proc.stderr.strip()


@pytest.fixture
def synced(tmp_path: Path) -> Path:
    config = make_project(tmp_path)
    assert digest(config, "sync").returncode == 0
    return config


# One command per way of reaching the state: locked writer, plain reader, lazy reader.
COMMANDS = [("sync",), ("send", "--period", "2026-10"), ("history",)]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_a_state_from_a_newer_digest_is_one_sentence(synced: Path, args: tuple[str, ...]) -> None:
    db_path = synced.parent / "state" / "state.db"
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA user_version = 99")
    proc = digest(synced, *args)
    assert proc.returncode == 1
    assert one_sentence(proc) == (
        f"digest: state database {db_path} has schema version 99, newer than this digest "
        f"({SCHEMA_VERSION}); upgrade notes-digest."
    )


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_a_damaged_state_database_is_one_sentence(synced: Path, args: tuple[str, ...]) -> None:
    db_path = synced.parent / "state" / "state.db"
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = db_path.stat().st_size
    with db_path.open("r+b") as f:  # keep the header page, scramble every other page
        f.seek(4096)
        f.write(os.urandom(size - 4096))
    proc = digest(synced, *args)
    assert proc.returncode == 1
    assert one_sentence(proc) == (
        f"digest: state database {db_path} is damaged (database disk image is malformed); "
        "restore it from a backup, or move it away to start afresh (digests already sent "
        "would then be sent again)."
    )


def test_a_state_database_error_in_the_middle_of_a_command_names_the_file(synced: Path) -> None:
    # The schema says version 1 but a table is gone: SQLite fails only when send gets there.
    db_path = synced.parent / "state" / "state.db"
    with sqlite3.connect(db_path) as conn:
        conn.execute("DROP TABLE deliveries")
    proc = digest(synced, "send", "--period", "2026-10")
    assert proc.returncode == 1
    assert one_sentence(proc) == (
        f"digest: state database {db_path} failed: no such table: deliveries."
    )


def test_a_state_dir_that_cannot_be_made_is_one_sentence(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    (tmp_path / "not-a-folder").write_text("a file where the state folder should be\n")
    text = config.read_text().replace('state_dir = "state"', 'state_dir = "not-a-folder/state"')
    config.write_text(text)
    state_dir = tmp_path / "not-a-folder" / "state"
    for args in (("sync",), ("send", "--period", "2026-10")):
        proc = digest(config, *args)
        assert proc.returncode == 1
        assert one_sentence(proc) == (
            f"digest: state directory {state_dir} cannot be used (Not a directory); set "
            "[digest] state_dir to a folder this user can write."
        )
    proc = digest(config, "items")
    assert one_sentence(proc) == (
        f"digest: state database {state_dir / 'state.db'} cannot be opened: Not a directory."
    )


def _documents(db_path: Path) -> int:
    try:
        with sqlite3.connect(f"{db_path.as_uri()}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
    except sqlite3.Error:
        return 0  # not created (or not migrated) yet


def _state(db_path: Path) -> list[int]:
    with sqlite3.connect(db_path) as conn:
        return [
            int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in ("documents", "meetings", "items")
        ]


def test_ctrl_c_during_a_big_sync_says_so_and_a_rerun_completes(
    falco_bundle: Path, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""[digest]
state_dir = "state"

[[sources]]
name = "falco"
kind = "git"
url = "{falco_bundle}"
glob = ["meeting-notes/*.md"]
"""
    )
    db_path = tmp_path / "state" / "state.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "digest", "--config", str(config), "sync"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=CLI_ENV,
        # Ctrl-C as in a terminal, even when the suite runs as a background job
        # (which starts with SIGINT ignored, and passes that on).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    # Interrupt once some notes are stored and the rest are not: the middle of the run.
    deadline = time.monotonic() + 60
    while _documents(db_path) == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    if proc.poll() is not None:
        pytest.skip("the sync finished before it could be interrupted")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "digest: interrupted; the state is consistent, run the command again."
    )
    assert digest(config, "sync").returncode == 0
    interrupted_then_resumed = _state(db_path)
    fresh = tmp_path / "fresh.toml"
    fresh.write_text(config.read_text().replace('"state"', '"fresh-state"'))
    assert digest(fresh, "sync").returncode == 0
    assert interrupted_then_resumed == _state(tmp_path / "fresh-state" / "state.db")
