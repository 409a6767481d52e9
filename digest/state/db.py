"""The state: one SQLite file, schema versioned by migrations.

Tables
  sources      one row per configured source: last processed commit (git), kind
  documents    one row per (source, path, blob): a version of a note; deleted flag
  meetings     meetings parsed from the current version of each document
  items        items of those meetings (JSON columns for lists)
  digests      one row per (series, period): the built digest, frozen once sent
  deliveries   the ledger: one row per digest x recipient (pending/sent/failed)
  subscribers  the digest's own subscribers
  thread_*     the threads, kept between runs (digest.state.threads)
  folder_files a folder source's files as last seen: stat signature and hash

Every multi-row change runs in one transaction, so a SIGKILL leaves either the
old state or the new one, never half of each.

Every run talks to the file through `StateDB`, plain sqlite3; sqlite-utils is
loaded only to migrate the schema (once per upgrade), because importing it —
click, dateutil, pluggy — took 0.2 s of every command's start, more than a sync
with nothing new does in all.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from digest.errors import LockedError, UserError, database_error

if TYPE_CHECKING:
    import sqlite_utils

SCHEMA_VERSION = 6

Parameters = Sequence[Any] | Mapping[str, Any]


class StateDB:
    """The state DB's connection, with the two calls the state layer makes of it
    (the same as sqlite-utils' `Database.execute` and `.query`)."""

    __slots__ = ("conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters: Parameters = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, parameters)

    def query(self, sql: str, parameters: Parameters = ()) -> Iterator[dict[str, Any]]:
        """Each row of `sql` as a dict keyed by column name."""
        cursor = self.conn.execute(sql, parameters)
        keys = [column[0] for column in cursor.description]
        for row in cursor:
            yield dict(zip(keys, row, strict=True))

    def close(self) -> None:
        self.conn.close()


def _v1(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS sources (
            name TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            location TEXT NOT NULL,         -- url or path as configured
            last_commit TEXT,               -- git: last processed commit
            settings TEXT NOT NULL DEFAULT '', -- what was read and how; a change re-reads all
            updated_at TEXT
        )"""
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS documents (
            source TEXT NOT NULL,
            path TEXT NOT NULL,
            blob TEXT NOT NULL,             -- git blob sha or sha256 of the content
            commit_sha TEXT,                -- the commit that brought this version
            committed_at TEXT,              -- ISO 8601 UTC
            seen_at TEXT NOT NULL,          -- when this run first saw it (for "late")
            deleted INTEGER NOT NULL DEFAULT 0,
            current INTEGER NOT NULL DEFAULT 1,  -- the newest version of the path
            warnings TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (source, path, blob)
        )"""
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS meetings (
            id TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            path TEXT NOT NULL,
            blob TEXT NOT NULL,
            series TEXT NOT NULL,
            title TEXT NOT NULL,
            date TEXT NOT NULL,             -- YYYY-MM-DD
            date_origin TEXT NOT NULL,
            line INTEGER NOT NULL,
            end_line INTEGER NOT NULL,
            commit_sha TEXT,
            committed_at TEXT,
            seen_at TEXT NOT NULL,
            warnings TEXT NOT NULL DEFAULT '[]'
        )"""
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS items (
            key TEXT PRIMARY KEY,           -- "{meeting_id}#L{line}"
            meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
            series TEXT NOT NULL,
            meeting_date TEXT NOT NULL,
            kind TEXT NOT NULL,
            role TEXT NOT NULL,
            section TEXT NOT NULL,          -- JSON list
            text TEXT NOT NULL,
            children TEXT NOT NULL,         -- JSON list
            owners TEXT NOT NULL,           -- JSON list
            refs TEXT NOT NULL,             -- JSON list
            links TEXT NOT NULL,            -- JSON list
            status TEXT NOT NULL,
            status_phrase TEXT,
            row_key TEXT,
            source TEXT NOT NULL,
            path TEXT NOT NULL,
            line INTEGER NOT NULL,
            end_line INTEGER NOT NULL,
            commit_sha TEXT,
            committed_at TEXT
        )"""
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS digests (
            id TEXT PRIMARY KEY,            -- "{series}|{period}"
            series TEXT NOT NULL,
            period TEXT NOT NULL,           -- YYYY-MM
            built_at TEXT NOT NULL,
            subject TEXT NOT NULL,
            text_body TEXT NOT NULL,
            html_body TEXT NOT NULL,
            json_body TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'built'  -- built / sending / sent / partial / skipped
        )"""
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS deliveries (
            digest_id TEXT NOT NULL REFERENCES digests(id),
            recipient TEXT NOT NULL,        -- lower-cased address
            kind TEXT NOT NULL,             -- list / subscriber
            message_id TEXT NOT NULL,
            status TEXT NOT NULL,           -- pending / sent / failed
            attempts INTEGER NOT NULL DEFAULT 0,
            reply TEXT,                     -- last SMTP reply, or outbox file
            updated_at TEXT NOT NULL,
            PRIMARY KEY (digest_id, recipient)
        )"""
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS subscribers (
            address TEXT PRIMARY KEY,       -- normalized (email-validator)
            name TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,           -- active / unsubscribed / bounced
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS items_series ON items(series, meeting_date)")
    db.execute("CREATE INDEX IF NOT EXISTS meetings_series ON meetings(series, date)")
    db.execute("CREATE INDEX IF NOT EXISTS meetings_doc ON meetings(source, path)")
    db.execute("CREATE INDEX IF NOT EXISTS items_meeting ON items(meeting_id)")


def _v2(db: sqlite_utils.Database) -> None:
    """How notes are read, v2: each item has a form (list/task/row/...) and a kind
    (action/topic/decision/discussion/...), the reason for it, its parent item and
    its task box; a meeting says where its series name came from; hidden threads."""
    db.execute("ALTER TABLE items RENAME COLUMN kind TO form")
    db.execute("ALTER TABLE items RENAME COLUMN role TO meaning")
    db.execute("ALTER TABLE items ADD COLUMN kind TEXT NOT NULL DEFAULT 'topic'")
    db.execute("ALTER TABLE items ADD COLUMN why TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE items ADD COLUMN parent TEXT")  # key of the item it is under
    db.execute("ALTER TABLE items ADD COLUMN checked INTEGER")  # task box: NULL, 0, 1
    db.execute("ALTER TABLE meetings ADD COLUMN series_origin TEXT NOT NULL DEFAULT 'title'")
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS hidden (
            thread_id TEXT PRIMARY KEY,     -- key of the thread's first item
            meeting_id TEXT NOT NULL,       -- that item's meeting ...
            text TEXT NOT NULL,             -- ... and text: found again when lines move
            series TEXT NOT NULL,
            hidden_at TEXT NOT NULL
        )"""
    )


def _v3(db: sqlite_utils.Database) -> None:
    """Subscribers of their own: an opaque id for links (never the address), the series
    they chose and a pause; confirmations pending (double opt-in); a digest's kind
    (one series, or a subscriber's bundle of several) and its parts; the periods whose
    subscriber bundles are planned; a small key/value table (when links changed)."""
    import secrets
    from datetime import UTC, datetime

    now = datetime.now(UTC).isoformat(timespec="seconds")
    db.execute("ALTER TABLE subscribers ADD COLUMN sid TEXT")  # random, in every link
    db.execute("ALTER TABLE subscribers ADD COLUMN series TEXT")  # JSON list; NULL: all
    db.execute("ALTER TABLE subscribers ADD COLUMN paused INTEGER NOT NULL DEFAULT 0")
    for (address,) in db.execute("SELECT address FROM subscribers").fetchall():
        db.execute(
            "UPDATE subscribers SET sid = ? WHERE address = ?",
            [secrets.token_urlsafe(16), address],
        )
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS subscribers_sid ON subscribers(sid)")
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS confirmations (
            id TEXT PRIMARY KEY,            -- random, in the confirmation link
            address TEXT NOT NULL,          -- normalized
            series TEXT,                    -- JSON list chosen on the form; NULL: all
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS confirmations_address ON confirmations(address)")
    db.execute("ALTER TABLE digests ADD COLUMN kind TEXT NOT NULL DEFAULT 'series'")
    db.execute("ALTER TABLE digests ADD COLUMN parts TEXT NOT NULL DEFAULT '[]'")  # bundle
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS bundle_plans (
            period TEXT PRIMARY KEY,        -- YYYY-MM: subscribers' bundles are planned
            planned_at TEXT NOT NULL
        )"""
    )
    # Months already mailed the old way (one message per series to each subscriber)
    # are done: their subscribers must not get a bundle of them now.
    db.execute(
        "INSERT OR IGNORE INTO bundle_plans (period, planned_at) SELECT DISTINCT period, ? "
        "FROM digests WHERE status IN ('sent', 'partial', 'skipped')",
        [now],
    )
    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    # Links mailed before v3 carry the address in the token: accepted for a while.
    db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('legacy_tokens_since', ?)", [now])


def _v4(db: sqlite_utils.Database) -> None:
    from digest.state.threads import create_tables

    create_tables(db)  # the threads, kept between runs (digest.state.threads)


def _v5(db: sqlite_utils.Database) -> None:
    """A folder's files as last seen, so that a sync reads only the changed ones."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS folder_files (
            source TEXT NOT NULL,
            path TEXT NOT NULL,
            signature TEXT NOT NULL,        -- size:mtime_ns:ctime_ns:inode
            blob TEXT NOT NULL,             -- sha256 of the content it had then
            PRIMARY KEY (source, path)
        )"""
    )


# Append-only: version N is MIGRATIONS[N-1]. Never edit a released migration.
def _v6(db: sqlite_utils.Database) -> None:
    """A meeting that did not take place says so (the notes' own words); the next
    sync reads every note again (a new READING_VERSION) and fills it in."""
    db.execute("ALTER TABLE meetings ADD COLUMN not_held TEXT NOT NULL DEFAULT ''")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3, _v4, _v5, _v6]


def meta_value(db: StateDB, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def open_db(path: Path) -> StateDB:
    """Open (creating and migrating) the state DB."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=FULL")
    except (OSError, sqlite3.Error) as exc:
        raise database_error(path, exc) from None
    db = StateDB(conn)
    migrate(db, path)
    return db


def schema_version(db: StateDB) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: StateDB, path: Path | None = None) -> None:
    current = schema_version(db)
    if current > len(MIGRATIONS):
        raise UserError(
            f"state database {path} has schema version {current}, newer than this digest "
            f"({len(MIGRATIONS)}); upgrade notes-digest."
        )
    if current == len(MIGRATIONS):
        return
    import sqlite_utils  # only here: see the module's docstring

    # No sqlite-utils plugins: looking them up scans every installed package's
    # entry points, and none has any business inside our state.
    schema = sqlite_utils.Database(db.conn, execute_plugins=False)
    for version in range(current + 1, len(MIGRATIONS) + 1):
        with transaction(db):
            MIGRATIONS[version - 1](schema)
            db.execute(f"PRAGMA user_version = {version}")


@contextmanager
def transaction(db: StateDB) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
    conn = db.conn
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def state_lock(state_dir: Path, what: str) -> Iterator[None]:
    """An exclusive, non-blocking lock on the state directory.

    flock is released by the kernel when the process dies, so a SIGKILLed run
    never leaves a stale lock behind.
    """
    lock_path = state_dir / "digest.lock"
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise UserError(
            f"state directory {state_dir} cannot be used ({exc.strerror or exc}); set "
            "[digest] state_dir to a folder this user can write."
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise LockedError(
                f"another digest is already running on {state_dir} ({holder}); "
                f"this {what} did nothing."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, {what}".encode(), 0)
        yield
    finally:
        os.close(fd)


@contextmanager
def open_read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """The state DB opened read-only (never created, never migrated): for `digest doctor`."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    try:
        yield conn
    finally:
        conn.close()


def health(conn: sqlite3.Connection) -> tuple[int, list[str]]:
    """(schema version, `PRAGMA integrity_check` lines: ["ok"] when sound)."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    return version, [row[0] for row in conn.execute("PRAGMA integrity_check")]
