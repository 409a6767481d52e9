"""The state file: created and migrated on first open, then used through plain sqlite3."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from digest.state.db import SCHEMA_VERSION, open_db, schema_version, transaction

# Opens the state at argv[1] and prints which of the heavy modules got loaded.
LOADED_AFTER_OPEN = """
import sys
from pathlib import Path
from digest.state.db import open_db
open_db(Path(sys.argv[1])).close()
print(" ".join(m for m in ("sqlite_utils", "click") if m in sys.modules))
"""


def loaded_by_opening(path: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", LOADED_AFTER_OPEN, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.split()


def test_a_new_state_gets_every_table_and_the_current_schema_version(tmp_path: Path) -> None:
    db = open_db(tmp_path / "state.db")
    tables = {
        row["name"] for row in db.query("SELECT name FROM sqlite_master WHERE type = ?", ["table"])
    }
    assert {"sources", "documents", "meetings", "items", "digests", "deliveries"} <= tables
    assert {"subscribers", "thread_points", "folder_files", "meta"} <= tables
    assert schema_version(db) == SCHEMA_VERSION


def test_an_older_state_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    open_db(path).close()
    # Back to version 4: as a state written before folder files were remembered (and
    # before a meeting could say it did not take place).
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO meta (key, value) VALUES ('kept', 'yes')")
    conn.execute("DROP TABLE folder_files")
    conn.execute("ALTER TABLE meetings DROP COLUMN not_held")
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()

    db = open_db(path)
    assert schema_version(db) == SCHEMA_VERSION
    assert list(db.query("SELECT value FROM meta WHERE key = 'kept'")) == [{"value": "yes"}]
    assert db.execute("SELECT count(*) FROM folder_files").fetchone()[0] == 0
    columns = [row["name"] for row in db.query("PRAGMA table_info(meetings)")]
    assert columns[-1] == "not_held"


def test_rows_come_back_as_dicts_and_a_failed_transaction_leaves_none(tmp_path: Path) -> None:
    db = open_db(tmp_path / "state.db")
    with transaction(db):
        db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", ["a", "1"])
    try:
        with transaction(db):
            db.execute(
                "INSERT INTO meta (key, value) VALUES (:key, :value)", {"key": "b", "value": "2"}
            )
            raise RuntimeError("stop")
    except RuntimeError:
        pass
    assert list(db.query("SELECT key, value FROM meta WHERE key IN ('a', 'b')")) == [
        {"key": "a", "value": "1"}
    ]


def test_only_a_migration_loads_sqlite_utils(tmp_path: Path) -> None:
    """Every command opens the state: loading sqlite-utils (and the click it brings)
    on each one cost 0.2 s of start-up, so it is loaded only to change the schema."""
    path = tmp_path / "state.db"
    assert "sqlite_utils" in loaded_by_opening(path)  # created: every migration runs
    assert loaded_by_opening(path) == []  # up to date: plain sqlite3
