"""The threads kept in the state, so a month's digest never rebuilds them from the
start of the history (digest.app.tracked decides what is kept and when it is valid).

Tables (schema v4)
  thread_points  a series' thread builder as it stood at a month boundary (a pickled
                 digest.tracking.threads.SeriesTracker), with the fingerprint of the
                 meetings before the boundary it was built from
  thread_cold    threads that left the builder's look-back window, one row per
                 version (`ordinal`: the meeting that wrote it), so going back to a
                 boundary drops the versions written after it
  thread_items   where each tracked item went: its thread and the join

The blobs are opaque here: this module only stores and finds them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from digest.model import Join

if TYPE_CHECKING:
    import sqlite_utils

    from digest.state.db import StateDB


def create_tables(db: sqlite_utils.Database) -> None:
    """Schema v4 (digest.state.db.MIGRATIONS)."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS thread_points (
            series TEXT NOT NULL,
            boundary TEXT NOT NULL,         -- YYYY-MM-DD: built from meetings before it
            ordinal INTEGER NOT NULL,       -- meetings taken by then
            key TEXT NOT NULL,              -- the rules and settings it was built with
            fingerprint TEXT NOT NULL,      -- of the meetings before the boundary
            blob BLOB NOT NULL,
            PRIMARY KEY (series, boundary)
        )"""
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS thread_cold (
            series TEXT NOT NULL,
            idx INTEGER NOT NULL,
            ordinal INTEGER NOT NULL,
            blob BLOB NOT NULL,
            PRIMARY KEY (series, idx, ordinal)
        )"""
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS thread_items (
            series TEXT NOT NULL,
            item_key TEXT NOT NULL,
            idx INTEGER NOT NULL,           -- the thread
            ordinal INTEGER NOT NULL,       -- the series meeting, then the place in it
            pos INTEGER NOT NULL,
            meeting_date TEXT NOT NULL,
            reason TEXT NOT NULL,
            detail TEXT NOT NULL,
            score REAL NOT NULL,
            PRIMARY KEY (series, item_key)
        )"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS thread_items_date ON thread_items(series, meeting_date)")
    db.execute("CREATE INDEX IF NOT EXISTS thread_items_idx ON thread_items(series, idx)")


@dataclass(frozen=True)
class Point:
    series: str
    boundary: date
    ordinal: int
    key: str
    fingerprint: str


def points(db: StateDB, series: str) -> list[Point]:
    """The kept points of a series, newest first (without their blobs)."""
    rows = db.conn.execute(
        "SELECT boundary, ordinal, key, fingerprint FROM thread_points WHERE series = ? "
        "ORDER BY boundary DESC",
        [series],
    )
    return [Point(series, date.fromisoformat(b), o, k, f) for b, o, k, f in rows]


def point_blob(db: StateDB, point: Point) -> bytes:
    row = db.conn.execute(
        "SELECT blob FROM thread_points WHERE series = ? AND boundary = ?",
        [point.series, point.boundary.isoformat()],
    ).fetchone()
    return bytes(row[0])


def save_point(db: StateDB, point: Point, blob: bytes) -> None:
    db.conn.execute(
        "INSERT OR REPLACE INTO thread_points (series, boundary, ordinal, key, fingerprint, "
        "blob) VALUES (?, ?, ?, ?, ?, ?)",
        [
            point.series,
            point.boundary.isoformat(),
            point.ordinal,
            point.key,
            point.fingerprint,
            blob,
        ],
    )


def drop_points(db: StateDB, series: str, boundaries: Iterable[date]) -> None:
    db.conn.executemany(
        "DELETE FROM thread_points WHERE series = ? AND boundary = ?",
        [(series, b.isoformat()) for b in boundaries],
    )


def go_back(db: StateDB, point: Point) -> None:
    """Forget what was built after `point`: later points, placements and cold versions."""
    series, boundary = point.series, point.boundary.isoformat()
    db.conn.execute(
        "DELETE FROM thread_points WHERE series = ? AND boundary > ?", [series, boundary]
    )
    db.conn.execute(
        "DELETE FROM thread_items WHERE series = ? AND ordinal >= ?", [series, point.ordinal]
    )
    db.conn.execute(
        "DELETE FROM thread_cold WHERE series = ? AND ordinal >= ?", [series, point.ordinal]
    )


def forget(db: StateDB, series: str) -> None:
    """Everything kept for a series (its threads are rebuilt from the start)."""
    for table in ("thread_points", "thread_cold", "thread_items"):
        db.conn.execute(f"DELETE FROM {table} WHERE series = ?", [series])


def kept_series(db: StateDB) -> list[str]:
    return [r[0] for r in db.conn.execute("SELECT DISTINCT series FROM thread_points")]


def put_cold(db: StateDB, series: str, index: int, ordinal: int, blob: bytes) -> None:
    db.conn.execute(
        "INSERT OR REPLACE INTO thread_cold (series, idx, ordinal, blob) VALUES (?, ?, ?, ?)",
        [series, index, ordinal, blob],
    )


def get_cold(db: StateDB, series: str, index: int) -> bytes:
    row = db.conn.execute(
        "SELECT blob FROM thread_cold WHERE series = ? AND idx = ? ORDER BY ordinal DESC LIMIT 1",
        [series, index],
    ).fetchone()
    if row is None:
        raise KeyError(f"thread {index} of {series!r} is not kept")
    return bytes(row[0])


@dataclass(frozen=True)
class Placed:
    index: int
    ordinal: int
    pos: int
    meeting_date: date
    join: Join


def add_placements(db: StateDB, series: str, placed: Sequence[Placed]) -> None:
    db.conn.executemany(
        "INSERT OR REPLACE INTO thread_items (series, item_key, idx, ordinal, pos, meeting_date, "
        "reason, detail, score) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                series,
                p.join.item_key,
                p.index,
                p.ordinal,
                p.pos,
                p.meeting_date.isoformat(),
                p.join.reason,
                p.join.detail,
                p.join.score,
            )
            for p in placed
        ],
    )


def threads_between(db: StateDB, series: str, since: date, end: date) -> list[int]:
    """The threads of a series with an item of a meeting held in [since, end)."""
    rows = db.conn.execute(
        "SELECT DISTINCT idx FROM thread_items WHERE series = ? AND meeting_date >= ? "
        "AND meeting_date < ? ORDER BY idx",
        [series, since.isoformat(), end.isoformat()],
    )
    return [r[0] for r in rows]


def placements(db: StateDB, series: str, threads: Sequence[int], end: date) -> list[Placed]:
    """The items of these threads held before `end`, by thread, in the order they joined."""
    out: list[Placed] = []
    # SQLite allows a limited number of parameters: ask in slices.
    for start in range(0, len(threads), 500):
        chunk = list(threads[start : start + 500])
        marks = ",".join("?" * len(chunk))
        rows = db.conn.execute(
            f"SELECT idx, ordinal, pos, meeting_date, item_key, reason, detail, score "
            f"FROM thread_items WHERE series = ? AND meeting_date < ? AND idx IN ({marks}) "
            f"ORDER BY idx, ordinal, pos",
            [series, end.isoformat(), *chunk],
        )
        out.extend(
            Placed(idx, ordinal, pos, date.fromisoformat(day), Join(key, reason, detail, score))
            for idx, ordinal, pos, day, key, reason, detail, score in rows
        )
    return out
