"""`digest sync`: read what is new in every source into the state DB.

For each source: scan (digest.sources), parse each new note version
(digest.notes.parse), extract its items (digest.notes.items), and store them
(digest.state.notes).
Each batch (a git commit, or one file/feed entry) writes the documents row,
replaces the meetings and items of that note, and advances the source's cursor in
the same transaction (consecutive batches share one, committed twice a second) —
so a run killed at any point leaves a consistent state and the next run redoes
only what is left.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from digest.config.schema import Config, SourceConfig
from digest.errors import UserError
from digest.notes.reading import READING_VERSION, reading_settings
from digest.sources.base import (
    NoteVersion,
    SourceError,
    source_location,
    source_org,
    source_settings,
)
from digest.sources.scan import scan_source
from digest.state import notes as store
from digest.state.db import StateDB, meta_value, transaction
from digest.state.notes import FirstSeen

if TYPE_CHECKING:
    from digest.model import Document, Meeting, StaleSource

log = logging.getLogger("digest.sync")

GROUP_SECONDS = 0.5  # batches stored in one transaction for at most this long

Progress = Callable[[int, int], None]


@dataclass
class SourceSummary:
    """What one sync read from one source."""

    new_notes: int = 0  # notes added or changed (and readable) this run
    deleted_notes: int = 0  # notes that were stored before and are gone now
    meetings: int = 0  # meetings (re)written this run
    items: int = 0  # items (re)written this run
    warnings: int = 0
    error: str | None = None  # the source could not be read this run
    # path -> deleted?, for the notes touched this run: counts notes, not versions
    changed: dict[str, bool] = field(default_factory=dict, repr=False)


@dataclass
class SyncReport:
    """What one sync read, over every source."""

    new_notes: int = 0
    deleted_notes: int = 0
    meetings: int = 0  # in the current view after the sync
    items: int = 0  # in the current view after the sync
    warnings: list[str] = field(default_factory=list)  # new this run; each once
    per_source: dict[str, SourceSummary] = field(default_factory=dict)

    @property
    def failed(self) -> list[str]:
        return [name for name, s in self.per_source.items() if s.error]

    def unread(self) -> list[StaleSource]:
        """The sources that could not be read, each with the reason (without the
        `source "name": ` its sentence starts with)."""
        from digest.model import StaleSource

        out = []
        for name, summary in self.per_source.items():
            if summary.error:
                reason = summary.error.removeprefix(f'source "{name}": ').rstrip(".")
                out.append(StaleSource(name, reason))
        return out

    def summary(self) -> str:
        """One line, e.g. `synced 3 sources: 12 new notes, 40 meetings, 523 items, 2 warnings`."""
        n = len(self.per_source)
        parts = [_plural(self.new_notes, "new note")]
        if self.deleted_notes:
            parts.append(_plural(self.deleted_notes, "deleted note"))
        parts += [
            _plural(self.meetings, "meeting"),
            _plural(self.items, "item"),
            _plural(len(self.warnings), "warning"),
        ]
        failed = f" ({_plural(len(self.failed), 'source')} failed)" if self.failed else ""
        return f"synced {_plural(n, 'source')}: {', '.join(parts)}{failed}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _claim_default_state(cfg: Config, db: StateDB) -> None:
    """The default state folder (no [digest] state_dir, no systemd StateDirectory) is
    one per user, whatever the config: the first config that syncs into it owns it.
    Another config is refused, since its sync would forget the first one's sources
    (and the digests built from them); a config that was moved takes it over."""
    if cfg.digest.state_dir or os.environ.get("STATE_DIRECTORY"):
        return
    mine = str(cfg.path.resolve())
    owner = meta_value(db, "default_state_owner")
    if owner == mine:
        return
    if owner is not None and Path(owner).is_file():
        raise UserError(
            f"{cfg.path}: the default state folder {cfg.state_dir} already holds the notes "
            f"of {owner}, and syncing would forget them; set [digest] state_dir in "
            f"{cfg.path} to a folder of its own (or in both, to share one on purpose)."
        )
    with transaction(db):
        db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('default_state_owner', ?)", [mine]
        )


def sync(
    cfg: Config,
    db: StateDB,
    *,
    progress: Progress | None = None,
    full: bool = False,
    now: datetime | None = None,
) -> SyncReport:
    """Bring the state up to date with every configured source.

    full=True re-reads every note (after an upgrade of the parser, say). A source
    that fails (cannot fetch, folder missing) is one warning; the others still sync.
    """
    seen_at = now or datetime.now(UTC)
    report = SyncReport()
    _claim_default_state(cfg, db)
    configured = {s.name for s in cfg.sources}
    for name in store.stored_source_names(db):
        if name not in configured:
            # Renamed or removed from the config: its meetings would otherwise stay
            # in every digest (and twice, under a renamed source).
            with transaction(db):
                removed = store.forget_source(db, name)
            log.info('source "%s" is no longer configured: forgot its %d meetings', name, removed)
    counter = _Counter(progress)
    for src in cfg.sources:
        summary = SourceSummary()
        report.per_source[src.name] = summary
        current = store.current_blobs(db, src.name)  # read once: a big folder has thousands
        before = set(current)
        reading = _Reading(cfg, db, src, summary, report.warnings, seen_at)
        _read_source(reading, counter, full, current)
        # A note added then deleted within the run (first sync of a long history) is neither.
        changed = summary.changed.items()
        summary.new_notes = sum(1 for _, gone in changed if not gone)
        summary.deleted_notes = sum(1 for p, gone in changed if gone and p in before)
        report.new_notes += summary.new_notes
        report.deleted_notes += summary.deleted_notes
    touched = {(name, p) for name, s in report.per_source.items() for p in s.changed}
    for message in _unnamed_series_warnings(db, touched):
        log.warning("%s", message)
        report.warnings.append(message)
    report.meetings, report.items = store.counts(db)
    return report


def run_sync(cfg: Config, *, full: bool = False) -> SyncReport:
    """`digest sync`: under the state lock, with a progress bar in a terminal."""
    from digest.app.terminal import TerminalProgress
    from digest.state.db import open_db, state_lock

    with state_lock(cfg.state_dir, "sync"):
        db = open_db(cfg.db_path)
        with TerminalProgress() as progress:
            return sync(cfg, db, progress=progress, full=full)


class _Counter:
    """Progress over all sources: the total grows as each source is scanned."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.done = 0
        self.total = 0

    def add(self, total: int) -> None:
        self.total += total
        self.tick(0)

    def tick(self, n: int = 1) -> None:
        self.done += n
        if self.progress and self.total:
            self.progress(min(self.done, self.total), self.total)


@dataclass
class _Reading:
    """One source being read by one sync: what storing each of its note versions needs."""

    cfg: Config
    db: StateDB
    src: SourceConfig
    summary: SourceSummary
    warnings: list[str]  # the run's, each once
    seen_at: datetime
    org: str = field(init=False)
    meetings_from: date | None = None  # git `since`: meetings held before it are not kept
    # path -> the version stored without its items because a later one was coming
    # (NoteVersion.superseded): if that one cannot be read, these items are needed.
    itemless: dict[str, NoteVersion] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.org = source_org(self.src)

    def warn(self, message: str) -> None:
        # Logged as it happens (a scheduled `digest send` shows it in the journal) and
        # returned in the report, once per run: a first sync reads every version of a
        # note, and each version would repeat the same "no date …" warning.
        if message in self.warnings:
            return
        log.warning("%s", message)
        self.warnings.append(message)
        self.summary.warnings += 1


def _read_source(
    reading: _Reading, counter: _Counter, full: bool, current_blobs: Mapping[str, str]
) -> None:
    """Read one source's new versions; `current_blobs`: store.current_blobs, as stored."""
    cfg, db, src, summary = reading.cfg, reading.db, reading.src, reading.summary
    warn = reading.warn
    stored = store.get_source(db, src.name)
    # A new way of reading notes re-reads them all: no stored item keeps a stale reading.
    settings = (
        f"{source_settings(src)}\x1freading {READING_VERSION} {reading_settings(cfg.tracking)}"
    )
    # New settings (url, glob, series, org...) change what is read or how: start over.
    start_over = stored is not None and (full or stored.settings != settings)
    if start_over:
        log.info('source "%s": reading every note again', src.name)
    last_commit = stored.last_commit if stored and not start_over else None
    blobs = {} if start_over else current_blobs

    def save_cursor(cursor: str | None) -> None:
        nonlocal start_over
        if start_over:
            # Forgotten in the same transaction as the first new data: a failed
            # fetch or a kill before it leaves the old view in place.
            store.forget_source(db, src.name)
            start_over = False
        store.set_source(
            db,
            src.name,
            kind=src.kind,
            location=source_location(src),
            last_commit=cursor,
            settings=settings,
            now=reading.seen_at,
        )

    known_files = store.folder_files(db, src.name) if src.kind == "dir" and not start_over else {}
    try:
        scan = scan_source(
            cfg,
            src,
            last_commit=last_commit,
            stored_blobs=blobs,
            known_files=known_files,
            now=reading.seen_at,
        )
    except SourceError as exc:
        summary.error = str(exc)
        warn(str(exc))
        return
    for message in scan.warnings:
        warn(message)
    reading.meetings_from = scan.meetings_from
    reported = len(scan.warnings)  # a scan may add warnings while its batches are read
    counter.add(scan.total)
    cursor = last_commit
    group = _Group(db)
    try:
        for batch in scan.batches:
            group.begin()
            if start_over:
                save_cursor(None)
            # Readable versions first: a file renamed in this commit still has
            # its old meetings in the DB, so they pass on their first-seen date.
            leaving = [v.document.path for v in batch.versions if v.document.deleted]
            for version in sorted(batch.versions, key=lambda v: v.document.deleted):
                _store_version(reading, version, leaving)
            if batch.cursor is not None:
                cursor = batch.cursor
            save_cursor(cursor)
            group.end()
            counter.tick()
    except SourceError as exc:  # git failed while the batches were read
        group.end(now=True)  # the batches stored so far are whole
        summary.error = str(exc)
        warn(summary.error)
        with transaction(db):
            _complete_items(reading)
        return
    except BaseException:
        group.abort()
        raise
    group.end(now=True)
    for message in scan.warnings[reported:]:
        warn(message)
    if scan.cursor is not None:
        cursor = scan.cursor
    if start_over or stored is None or cursor != (stored.last_commit if stored else None):
        with transaction(db):
            save_cursor(cursor)
    if src.kind == "dir" and scan.files != known_files:
        # Each entry's hash is checked against the stored version before it is
        # trusted, so this may be written after the versions, or not at all.
        with transaction(db):
            store.set_folder_files(db, src.name, scan.files)


def _store_version(
    reading: _Reading, version: NoteVersion, leaving_paths: Sequence[str] = ()
) -> None:
    from digest.notes.items import extract_items, not_held
    from digest.notes.parse import parse_document

    cfg, db, summary, warn = reading.cfg, reading.db, reading.summary, reading.warn
    seen_at, org = reading.seen_at, reading.org

    doc = version.document
    if version.problem:
        # The meetings of the last readable version stay: with their items.
        _complete_items(reading, doc.path)
        store.record_unreadable(db, doc, [version.problem], seen_at)
        warn(version.problem)
        return
    reading.itemless.pop(doc.path, None)
    if doc.deleted:
        store.mark_deleted(db, doc.source, doc.path)
        summary.changed[doc.path] = True
        return
    src = reading.src
    # A note dated by its commit keeps the date of its FIRST version, so editing
    # it later does not move the meeting (nor change its id).
    first_commit = store.first_committed_at(db, doc.source, doc.path)
    parse_doc = doc
    if first_commit and doc.committed_at and first_commit < doc.committed_at:
        parse_doc = dataclasses.replace(doc, committed_at=first_commit)
    try:
        result = parse_document(parse_doc, series=src.series, source_kind=src.kind)
        meetings, warnings = result.meetings, result.warnings
        if reading.meetings_from is not None:
            meetings = [m for m in meetings if m.date >= reading.meetings_from]
        first = store.first_seen(db, doc.source, meetings, leaving_paths=leaving_paths)
        meetings = [_first_committed(m, first.get(m.id), doc) for m in meetings]
        # A version a later one replaces in this run keeps its meetings (when each first
        # appeared), not its items: the later version's replace them.
        if version.superseded:
            items = []
        else:
            read = [(m, extract_items(m, cfg.tracking, org=org, repo=src.repo)) for m in meetings]
            meetings = [dataclasses.replace(m, not_held=not_held(m, its)) for m, its in read]
            items = [it for _, its in read for it in its]
    except Exception as exc:  # a bug in the parser must not stop every later note
        log.debug("parsing %s:%s failed", doc.source, doc.path, exc_info=True)
        problem = (
            f'source "{doc.source}": {doc.path} could not be read ({type(exc).__name__}: '
            f"{exc}); this is a bug in notes-digest: please report it, and run "
            f"`digest sync --full` after upgrading."
        )
        _complete_items(reading, doc.path)
        store.record_unreadable(db, doc, [problem], seen_at)
        warn(problem)
        return
    store.replace_document(db, doc, meetings, items, warnings, seen_at, first)
    if version.superseded:
        reading.itemless[doc.path] = version
    summary.changed[doc.path] = False
    summary.meetings += len(meetings)
    summary.items += len(items)
    for message in warnings:
        warn(message)


class _Group:
    """Consecutive batches in one transaction, committed every GROUP_SECONDS.

    Each batch saves its cursor with its notes, so the state is consistent after
    any of them; grouping them makes a first sync of thousands of commits wait for
    the disk a few times a second instead of once per commit (2 ms each here).
    """

    def __init__(self, db: StateDB) -> None:
        self.conn = db.conn
        self.opened = 0.0

    def begin(self) -> None:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")
            self.opened = time.monotonic()

    def end(self, *, now: bool = False) -> None:
        if self.conn.in_transaction and (now or time.monotonic() - self.opened >= GROUP_SECONDS):
            self.conn.execute("COMMIT")

    def abort(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


def _complete_items(reading: _Reading, path: str | None = None) -> None:
    """Store again, items and all, the versions stored without their items whose later
    version will not replace them (it cannot be read, or reading stopped): of `path`,
    else of every note."""
    paths = [path] if path is not None else list(reading.itemless)
    for p in paths:
        version = reading.itemless.pop(p, None)
        if version is not None:
            _store_version(reading, dataclasses.replace(version, superseded=False))


def _first_committed(meeting: Meeting, known: FirstSeen | None, doc: Document) -> Meeting:
    """The meeting as stored: committed when it first appeared (a later edit of its note,
    or a rename, never makes it look new), else when this version was committed."""
    dates = [d for d in (known.committed_at if known else None, doc.committed_at) if d]
    return dataclasses.replace(meeting, committed_at=min(dates) if dates else None)


def _unnamed_series_warnings(db: StateDB, changed: set[tuple[str, str]]) -> list[str]:
    """One warning per note read this run whose meetings have no series name: no title
    heading, and no titled note named like it to take the name from."""
    if not changed:
        return []
    fallbacks = [row for row in store.fallback_meetings(db) if (row[1], row[2]) in changed]
    if not fallbacks:
        return []
    from digest.app.digests import series_of

    resolution = series_of(db)
    out: list[str] = []
    warned: set[tuple[str, str]] = set()
    for id_, source, path, series in fallbacks:
        if (source, path) in warned or resolution.of(id_, series) != series:
            continue
        warned.add((source, path))
        out.append(
            f"{source}:{path}: no title heading and no titled note named like it; its "
            f'meetings are in series "{series}" (add a title heading, or set `series` on '
            "the source)."
        )
    return out
