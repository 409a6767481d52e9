"""Reading and writing meetings and items in the state DB.

The read side (load_meetings, load_items, list_series, document_warnings) is what
the later stages use; the write side is used by digest.app.sync, always inside one
`digest.state.transaction` per commit or document.

Only raw SQL on the connection is used here: sqlite-utils' table helpers wrap
their work in `with conn:`, which would COMMIT the caller's open transaction
half-way and break the one-transaction-per-commit guarantee.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, cast

from digest.state.db import StateDB

if TYPE_CHECKING:
    from digest.model import (
        Document,
        Item,
        Meeting,
    )

# ---- encoding ----------------------------------------------------------------


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC (naive datetimes are taken as UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def parse_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _json_list(text: str | None) -> list[str]:
    if not text or text == "[]":  # most rows: no warnings, no owners, no refs
        return []
    value = json.loads(text)
    return [str(v) for v in value] if isinstance(value, list) else []


def _json_text(values: Sequence[str]) -> str:
    # Most items have no owners, refs, links or children: "[]" without json.dumps
    # is a few percent of a cold sync.
    return json.dumps(values) if values else "[]"


def _rows(db: StateDB, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cursor = db.conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# ---- read side -----------------------------------------------------------------


def _meeting(row: dict[str, Any]) -> Meeting:
    from digest.model import DateOrigin, Meeting, SeriesOrigin

    return Meeting(
        id=row["id"],
        source=row["source"],
        path=row["path"],
        series=row["series"],
        title=row["title"],
        date=date.fromisoformat(row["date"]),
        date_origin=cast(DateOrigin, row["date_origin"]),
        line=row["line"],
        end_line=row["end_line"],
        commit=row["commit_sha"],
        committed_at=parse_iso(row["committed_at"]),
        sections=[],
        warnings=_json_list(row["warnings"]),
        series_origin=cast(SeriesOrigin, row["series_origin"]),
        not_held=row["not_held"],
    )


def meeting_rows(db: StateDB) -> list[tuple[str, str, str, str, str, date]]:
    """(id, source, path, series as parsed, where the name came from, date) of every
    stored meeting: what digest.tracking.series groups into series."""
    rows = db.conn.execute("SELECT id, source, path, series, series_origin, date FROM meetings")
    return [(i, src, p, s, o, date.fromisoformat(d)) for i, src, p, s, o, d in rows]


def fallback_meetings(db: StateDB) -> list[tuple[str, str, str, str]]:
    """(id, source, path, series) of the meetings whose note gave no series name."""
    sql = (
        "SELECT id, source, path, series FROM meetings WHERE series_origin = 'fallback' "
        "ORDER BY source, path, date"
    )
    return [tuple(row) for row in db.conn.execute(sql)]


def _where(column: str, series: str | None, before: date | None) -> tuple[str, list[str]]:
    clauses, params = [], []
    if series is not None:
        clauses.append("series = ?")
        params.append(series)
    if before is not None:
        clauses.append(f"{column} < ?")
        params.append(before.isoformat())
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def load_meetings(
    db: StateDB, *, series: str | None = None, before: date | None = None
) -> list[Meeting]:
    """Meetings of the current notes (sections are not stored: empty), ordered by date;
    only those held before `before` when given.

    committed_at is when the meeting FIRST appeared in the source, whatever later
    edits its file had; commit is the commit of the version its lines refer to.
    """
    where, params = _where("date", series, before)
    sql = f"SELECT * FROM meetings {where} ORDER BY date, series, source, path, line, id"
    return [_meeting(r) for r in _rows(db, sql, params)]


def _item(row: dict[str, Any]) -> Item:
    from digest.model import Item, ItemForm, LineKind, SectionMeaning, Status

    return Item(
        meeting_id=row["meeting_id"],
        series=row["series"],
        meeting_date=date.fromisoformat(row["meeting_date"]),
        form=cast(ItemForm, row["form"]),
        meaning=cast(SectionMeaning, row["meaning"]),
        section=tuple(_json_list(row["section"])),
        text=row["text"],
        children=_json_list(row["children"]),
        owners=_json_list(row["owners"]),
        refs=_json_list(row["refs"]),
        links=_json_list(row["links"]),
        status=cast(Status, row["status"]),
        status_phrase=row["status_phrase"],
        row_key=row["row_key"],
        path=row["path"],
        line=row["line"],
        end_line=row["end_line"],
        commit=row["commit_sha"],
        committed_at=parse_iso(row["committed_at"]),
        source=row["source"],
        kind=cast(LineKind, row["kind"]),
        why=row["why"],
        parent=row["parent"],
        checked=None if row["checked"] is None else bool(row["checked"]),
    )


def load_items(db: StateDB, *, series: str | None = None, before: date | None = None) -> list[Item]:
    """Items of the current meetings, ordered by meeting_date, meeting_id, line; only
    those of meetings held before `before` when given."""
    where, params = _where("meeting_date", series, before)
    sql = f"SELECT * FROM items {where} ORDER BY meeting_date, meeting_id, line, key"
    return [_item(r) for r in _rows(db, sql, params)]


def meeting_versions(db: StateDB) -> dict[str, str]:
    """Meeting id -> the blob of the note version it was read from: a meeting's items
    change only with it (or with the reading rules, which re-read every note)."""
    return dict(db.conn.execute("SELECT id, blob FROM meetings"))


def _in(column: str, values: Sequence[str]) -> str:
    """`column IN (?, ?, …)` for these values; never true when there are none."""
    return f"{column} IN ({','.join('?' * len(values))})" if values else "0"


def load_meetings_of(
    db: StateDB, series: Sequence[str], *, since: date, before: date
) -> list[Meeting]:
    """Meetings of these series (as parsed) held in [since, before), and the earlier
    ones first committed after their own month had ended (only those can have
    missed their month's digest), ordered by date."""
    sql = (
        f"SELECT * FROM meetings WHERE {_in('series', series)} AND date < ? AND (date >= ? "
        f"OR committed_at >= date(date, 'start of month', '+1 month')) "
        f"ORDER BY date, series, source, path, line, id"
    )
    params = [*series, before.isoformat(), since.isoformat()]
    return [_meeting(r) for r in _rows(db, sql, params)]


def load_items_of(db: StateDB, series: Sequence[str], *, since: date, before: date) -> list[Item]:
    """Items of the meetings of these series (as parsed) held in [since, before)."""
    sql = (
        f"SELECT * FROM items WHERE {_in('series', series)} AND meeting_date >= ? "
        f"AND meeting_date < ? ORDER BY meeting_date, meeting_id, line, key"
    )
    return [_item(r) for r in _rows(db, sql, [*series, since.isoformat(), before.isoformat()])]


def items_by_key(db: StateDB, keys: Sequence[str]) -> dict[str, Item]:
    """The stored items with these keys (those that still exist)."""
    found: dict[str, Item] = {}
    for start in range(0, len(keys), 500):
        chunk = list(keys[start : start + 500])
        sql = f"SELECT * FROM items WHERE {_in('key', chunk)}"
        for row in _rows(db, sql, chunk):
            found[row["key"]] = _item(row)
    return found


def list_series(db: StateDB) -> list[str]:
    """Series names as parsed, of every current meeting, sorted (digest.app.digests
    groups them into the series a reader sees)."""
    return [r[0] for r in db.conn.execute("SELECT DISTINCT series FROM meetings ORDER BY series")]


def document_warnings(db: StateDB) -> list[str]:
    """Warnings stored with the current version of every note (bad input, parse problems)."""
    sql = (
        "SELECT warnings FROM documents WHERE current = 1 AND deleted = 0 "
        "AND warnings != '[]' ORDER BY source, path"
    )
    return [w for (text,) in db.conn.execute(sql) for w in _json_list(text)]


def counts(db: StateDB) -> tuple[int, int]:
    """(meetings, items) in the current view."""
    meetings = db.conn.execute("SELECT count(*) FROM meetings").fetchone()[0]
    items = db.conn.execute("SELECT count(*) FROM items").fetchone()[0]
    return int(meetings), int(items)


# ---- write side (digest.app.sync) ------------------------------------------------


@dataclass(frozen=True)
class StoredSource:
    """A source as the state knows it: where it was read from, and up to where."""

    name: str
    kind: str
    location: str
    last_commit: str | None
    settings: str


def get_source(db: StateDB, name: str) -> StoredSource | None:
    rows = _rows(db, "SELECT * FROM sources WHERE name = ?", [name])
    if not rows:
        return None
    r = rows[0]
    return StoredSource(r["name"], r["kind"], r["location"], r["last_commit"], r["settings"])


def stored_source_names(db: StateDB) -> list[str]:
    return [r[0] for r in db.conn.execute("SELECT name FROM sources ORDER BY name")]


def set_source(
    db: StateDB,
    name: str,
    *,
    kind: str,
    location: str,
    last_commit: str | None,
    settings: str,
    now: datetime,
) -> None:
    db.conn.execute(
        "INSERT INTO sources (name, kind, location, last_commit, settings, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, "
        "location = excluded.location, last_commit = excluded.last_commit, "
        "settings = excluded.settings, updated_at = excluded.updated_at",
        (name, kind, location, last_commit, settings, iso(now)),
    )


def current_blobs(db: StateDB, source: str) -> dict[str, str]:
    """path -> blob of the current, not deleted, version of each note of a source."""
    sql = "SELECT path, blob FROM documents WHERE source = ? AND current = 1 AND deleted = 0"
    return {path: blob for path, blob in db.conn.execute(sql, (source,))}


def folder_files(db: StateDB, source: str) -> dict[str, tuple[str, str]]:
    """A folder source's files as its last sync saw them: path -> (signature, blob)."""
    sql = "SELECT path, signature, blob FROM folder_files WHERE source = ?"
    return {path: (sig, blob) for path, sig, blob in db.conn.execute(sql, (source,))}


def set_folder_files(db: StateDB, source: str, files: Mapping[str, tuple[str, str]]) -> None:
    """Replaces a folder source's files as last seen (inside the caller's transaction)."""
    conn = db.conn
    conn.execute("DELETE FROM folder_files WHERE source = ?", (source,))
    conn.executemany(
        "INSERT INTO folder_files (source, path, signature, blob) VALUES (?, ?, ?, ?)",
        [(source, path, sig, blob) for path, (sig, blob) in files.items()],
    )


def _upsert_document(
    db: StateDB, doc: Document, warnings: Sequence[str], seen_at: datetime
) -> None:
    """Make (source, path, blob) the current version of its path.

    A version seen before (a revert) keeps its first commit and seen_at: its line
    numbers are the same at that commit, so permalinks stay right.
    """
    conn = db.conn
    conn.execute(
        "UPDATE documents SET current = 0 WHERE source = ? AND path = ? AND blob != ?",
        (doc.source, doc.path, doc.blob),
    )
    conn.execute(
        "INSERT INTO documents (source, path, blob, commit_sha, committed_at, seen_at, "
        "deleted, current, warnings) VALUES (?, ?, ?, ?, ?, ?, 0, 1, ?) "
        "ON CONFLICT(source, path, blob) DO UPDATE SET deleted = 0, current = 1, "
        "warnings = excluded.warnings",
        (
            doc.source,
            doc.path,
            doc.blob,
            doc.commit,
            iso(doc.committed_at),
            iso(seen_at),
            json.dumps(list(warnings)),
        ),
    )


def record_unreadable(
    db: StateDB, doc: Document, warnings: Sequence[str], seen_at: datetime
) -> None:
    """A version that cannot be read (binary, not UTF-8, empty, too big).

    It becomes the current version (so it is not re-read and re-warned next run),
    but the meetings of the last readable version are kept: one bad commit does
    not wipe a file's history from the digest.
    """
    _upsert_document(db, doc, warnings, seen_at)


def mark_deleted(db: StateDB, source: str, path: str) -> int:
    """The note is gone: its meetings and items leave the current view; the row stays."""
    conn = db.conn
    conn.execute(
        "UPDATE documents SET deleted = 1 WHERE source = ? AND path = ? AND current = 1",
        (source, path),
    )
    return _delete_meetings(db, source, path)


def _delete_meetings(db: StateDB, source: str, path: str) -> int:
    conn = db.conn
    conn.execute(
        "DELETE FROM items WHERE meeting_id IN "
        "(SELECT id FROM meetings WHERE source = ? AND path = ?)",
        (source, path),
    )
    return conn.execute(
        "DELETE FROM meetings WHERE source = ? AND path = ?", (source, path)
    ).rowcount


def first_committed_at(db: StateDB, source: str, path: str) -> datetime | None:
    """When the first stored version of a note was committed (or its first mtime)."""
    row = db.conn.execute(
        "SELECT min(committed_at) FROM documents WHERE source = ? AND path = ?", (source, path)
    ).fetchone()
    return parse_iso(row[0]) if row else None


@dataclass(frozen=True)
class FirstSeen:
    """When a meeting was first committed, and first seen by a sync."""

    committed_at: datetime | None
    seen_at: datetime | None


def first_seen(
    db: StateDB,
    source: str,
    meetings: Sequence[Meeting],
    *,
    leaving_paths: Sequence[str] = (),
) -> dict[str, FirstSeen]:
    """When each of these meetings first appeared, if it is already known.

    Matched by id first. A meeting new under its id inherits the earliest
    appearance of a current meeting of the same source and date that is either in
    the same series (moved to another file) or in a file deleted by the same
    commit (a rename, even one that also changed the series): a rename never makes
    an old meeting look "late".
    """
    conn = db.conn
    marks = ",".join("?" * len(leaving_paths))
    leaving = f" OR path IN ({marks})" if leaving_paths else ""
    known: dict[str, FirstSeen] = {}
    for m in meetings:
        row = conn.execute(
            "SELECT committed_at, seen_at FROM meetings WHERE id = ?", (m.id,)
        ).fetchone()
        if row is None:
            row = conn.execute(
                "SELECT min(committed_at), min(seen_at) FROM meetings "
                f"WHERE source = ? AND date = ? AND (series = ?{leaving}) "
                "AND committed_at IS NOT NULL",
                (source, m.date.isoformat(), m.series, *leaving_paths),
            ).fetchone()
            if row is None or row[0] is None:
                continue
        known[m.id] = FirstSeen(parse_iso(row[0]), parse_iso(row[1]))
    return known


def replace_document(
    db: StateDB,
    doc: Document,
    meetings: Sequence[Meeting],
    items: Iterable[Item],
    warnings: Sequence[str],
    seen_at: datetime,
    first: Mapping[str, FirstSeen],
) -> None:
    """Store a readable version: its documents row, and its meetings/items replace the old.

    Each meeting's committed_at is stored as given (the caller sets it to the first
    appearance, from first_seen); seen_at is the first sighting from `first`, else now.
    """
    conn = db.conn
    _upsert_document(db, doc, warnings, seen_at)
    _delete_meetings(db, doc.source, doc.path)
    conn.executemany(
        "INSERT OR REPLACE INTO meetings (id, source, path, blob, series, title, date, "
        "date_origin, line, end_line, commit_sha, committed_at, seen_at, warnings, "
        "series_origin, not_held) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                m.id,
                doc.source,
                doc.path,
                doc.blob,
                m.series,
                m.title,
                m.date.isoformat(),
                m.date_origin,
                m.line,
                m.end_line,
                m.commit,
                iso(m.committed_at),
                iso(first[m.id].seen_at if m.id in first else None) or iso(seen_at),
                _json_text(m.warnings),
                m.series_origin,
                m.not_held,
            )
            for m in meetings
        ],
    )
    conn.executemany(
        "INSERT OR REPLACE INTO items (key, meeting_id, series, meeting_date, form, meaning, "
        "section, text, children, owners, refs, links, status, status_phrase, row_key, "
        "source, path, line, end_line, commit_sha, committed_at, kind, why, parent, checked) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                it.key,
                it.meeting_id,
                it.series,
                it.meeting_date.isoformat(),
                it.form,
                it.meaning,
                _json_text(it.section),
                it.text,
                _json_text(it.children),
                _json_text(it.owners),
                _json_text(it.refs),
                _json_text(it.links),
                it.status,
                it.status_phrase,
                it.row_key,
                it.source or doc.source,
                it.path or doc.path,
                it.line,
                it.end_line,
                it.commit,
                iso(it.committed_at),
                it.kind,
                it.why,
                it.parent,
                None if it.checked is None else int(it.checked),
            )
            for it in items
        ],
    )


def forget_source(db: StateDB, name: str) -> int:
    """A source removed from the config: its meetings leave the view; returns how many."""
    conn = db.conn
    conn.execute(
        "DELETE FROM items WHERE meeting_id IN (SELECT id FROM meetings WHERE source = ?)",
        (name,),
    )
    removed = conn.execute("DELETE FROM meetings WHERE source = ?", (name,)).rowcount
    conn.execute("UPDATE documents SET deleted = 1 WHERE source = ? AND current = 1", (name,))
    conn.execute("DELETE FROM sources WHERE name = ?", (name,))
    conn.execute("DELETE FROM folder_files WHERE source = ?", (name,))
    return int(removed)


def synced_counts(conn: sqlite3.Connection, source: str) -> tuple[int, int, int]:
    """(current notes, meetings, meetings dated by their commit) stored for a source."""
    documents = conn.execute(
        "SELECT COUNT(*) FROM documents WHERE source = ? AND current = 1 AND deleted = 0",
        (source,),
    ).fetchone()[0]
    meetings, undated = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(date_origin = 'commit'), 0) FROM meetings WHERE source = ?",
        (source,),
    ).fetchone()
    return int(documents), int(meetings), int(undated)


def meeting_series(db: StateDB, source: str) -> list[tuple[str, str]]:
    """(path, series) of the stored meetings of a source, each pair once."""
    rows = db.execute(
        "SELECT DISTINCT path, series FROM meetings WHERE source = ?", [source]
    ).fetchall()
    return [(path, series) for path, series in rows]


# ---- items hidden by a maintainer (`digest items hide`) ------------------------------


@dataclass(frozen=True)
class HiddenMark:
    """A thread a maintainer dropped: found again by its first item's key, or by that
    item's meeting and words when an edit of the note moved its line."""

    thread_id: str
    meeting_id: str
    text: str  # the first item's words, lower-case, single-spaced
    series: str


def hidden_text(text: str) -> str:
    return " ".join(text.lower().split())


def hide(db: StateDB, mark: HiddenMark, now: datetime) -> bool:
    """Remember a hidden thread; False when it was hidden already."""
    cursor = db.conn.execute(
        "INSERT OR IGNORE INTO hidden (thread_id, meeting_id, text, series, hidden_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (mark.thread_id, mark.meeting_id, mark.text, mark.series, iso(now)),
    )
    return cursor.rowcount > 0


def unhide(db: StateDB, mark: HiddenMark) -> bool:
    """Forget a hidden thread (by key, or by meeting and words); False if it was not hidden."""
    cursor = db.conn.execute(
        "DELETE FROM hidden WHERE thread_id = ? OR (meeting_id = ? AND text = ?)",
        (mark.thread_id, mark.meeting_id, mark.text),
    )
    return cursor.rowcount > 0


def hidden_marks(db: StateDB) -> list[HiddenMark]:
    rows = db.conn.execute(
        "SELECT thread_id, meeting_id, text, series FROM hidden ORDER BY hidden_at, thread_id"
    )
    return [HiddenMark(*row) for row in rows]
