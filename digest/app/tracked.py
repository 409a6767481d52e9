"""Threads kept up to date in the state: a month's digest costs the month, not the
history (issue 10).

A series' threads are built meeting by meeting (digest.tracking.threads.SeriesTracker).
Where each item went is stored as it is placed, and the tracker itself is kept at
month boundaries (the last KEPT_POINTS of them), with a fingerprint of the meetings
it was built from. A digest for month M then:

1. brings the series up to the end of M: from the newest kept point whose meetings
   have not changed since (a note edited, added or deleted before it makes it
   stale), building only the meetings after it. A change older than every kept
   point, new reading rules or new [tracking] settings rebuild from the start, once;
2. reads back only the threads with an item in the months around M (the window
   digest.app.digests.window_start chooses) and the items of those months.

Nothing here decides anything about threads: the same SeriesTracker decides, so the
kept threads are the threads `build_threads` gives for the same notes (tested).
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

from digest.config.schema import Config
from digest.model import Item, Thread
from digest.state import threads as kept
from digest.state.db import transaction
from digest.tracking.series import SeriesResolution
from digest.tracking.threads import SeriesTracker, meeting_batches

log = logging.getLogger("digest")

KEPT_POINTS = 12  # month boundaries kept per series: an edit older than all rebuilds
# How a kept tracker is stored: a pickle, zlib-compressed (level 1: a quarter of the
# bytes for ~30 ms at 20k meetings; each month writes one, and the state's WAL pays
# for its bytes twice). In the rules key, so another format is rebuilt, never misread.
KEPT_FORMAT = "pickle5+zlib1"
CHUNK_MEETINGS = 200  # meeting days whose items are read at once when building


def rules_key(cfg: Config) -> str:
    """What kept threads were built with: the joining rules (the code of the modules
    that decide them), the reading rules and the [tracking] settings."""
    from digest.notes.reading import READING_VERSION, reading_settings
    from digest.tracking import threads

    digest = hashlib.sha256()
    for module in (threads.__file__, Path(threads.__file__).parents[1] / "model.py"):
        digest.update(Path(module).read_bytes())
    tracking = cfg.tracking
    settings = (tracking.similarity, tracking.forget_after, tuple(tracking.ignore))
    digest.update(f"{READING_VERSION}\x1f{reading_settings(tracking)}\x1f{settings}".encode())
    digest.update(KEPT_FORMAT.encode())
    return digest.hexdigest()[:16]


class _StoredThreads:
    """digest.tracking.threads.ColdThreads in the state DB."""

    def __init__(self, db: Any, series: str) -> None:
        self.db, self.series = db, series

    def put(self, index: int, state: Any, ordinal: int) -> None:
        blob = pickle.dumps(state, pickle.HIGHEST_PROTOCOL)
        kept.put_cold(self.db, self.series, index, ordinal, blob)

    def get(self, index: int) -> Any:
        return pickle.loads(kept.get_cold(self.db, self.series, index))


@dataclass(frozen=True)
class SeriesNotes:
    """The meetings of one series as a reader sees it: id -> (date, note version)."""

    name: str
    meetings: Mapping[str, tuple[date, str]]
    parsed_names: tuple[str, ...]  # the names its notes give it (digest.tracking.series)


def series_notes(
    rows: Sequence[tuple[str, str, str, str, str, date]],
    versions: Mapping[str, str],
    resolution: SeriesResolution,
) -> dict[str, SeriesNotes]:
    """Each series' meetings, from digest.state.notes.meeting_rows and meeting_versions."""
    meetings: dict[str, dict[str, tuple[date, str]]] = {}
    parsed: dict[str, set[str]] = {}
    for meeting_id, _source, _path, series, _origin, day in rows:
        name = resolution.of(meeting_id, series)
        meetings.setdefault(name, {})[meeting_id] = (day, versions.get(meeting_id, ""))
        parsed.setdefault(name, set()).add(series)
    return {
        name: SeriesNotes(name, found, tuple(sorted(parsed[name])))
        for name, found in meetings.items()
    }


def fingerprints(notes: SeriesNotes, boundaries: Sequence[date]) -> dict[date, str]:
    """For each boundary, a hash of the series' meetings held before it (id and version)."""
    ordered = sorted((day, meeting_id, blob) for meeting_id, (day, blob) in notes.meetings.items())
    out: dict[date, str] = {}
    digest = hashlib.sha256()
    at = 0
    for boundary in sorted(set(boundaries)):
        while at < len(ordered) and ordered[at][0] < boundary:
            day, meeting_id, blob = ordered[at]
            digest.update(f"{day}\x1f{meeting_id}\x1f{blob}\x1e".encode())
            at += 1
        out[boundary] = digest.copy().hexdigest()
    return out


def keep_up(cfg: Config, db: Any, notes: SeriesNotes, end: date, key: str) -> None:
    """Bring the kept threads of a series up to `end` (a month boundary): every item
    of its meetings held before then placed, and a point kept at `end`."""
    stored = kept.points(db, notes.name)
    prints = fingerprints(notes, [p.boundary for p in stored] + [end])
    valid = [p for p in stored if p.key == key and p.fingerprint == prints[p.boundary]]
    if any(p.boundary >= end for p in valid):
        return
    start = valid[0] if valid else None
    with transaction(db):
        if start is None:
            kept.forget(db, notes.name)
            tracker = SeriesTracker(notes.name)
            since = date.min
        else:
            kept.go_back(db, start)
            tracker = pickle.loads(zlib.decompress(kept.point_blob(db, start)))
            since = start.boundary
        _build(cfg, db, notes, tracker, since=since, end=end)
        point = kept.Point(notes.name, end, tracker.ordinal, key, prints[end])
        blob = zlib.compress(pickle.dumps(tracker, pickle.HIGHEST_PROTOCOL), 1)
        kept.save_point(db, point, blob)
        older = [p.boundary for p in kept.points(db, notes.name)][KEPT_POINTS:]
        kept.drop_points(db, notes.name, older)


def _build(
    cfg: Config, db: Any, notes: SeriesNotes, tracker: SeriesTracker, *, since: date, end: date
) -> None:
    from digest.app.digests import followed_items

    cold = _StoredThreads(db, notes.name)
    warnings: list[str] = []
    # A few hundred meetings' items at a time: memory stays flat however long the history.
    days = sorted({day for day, _blob in notes.meetings.values() if since <= day < end})
    cuts = [*days[::CHUNK_MEETINGS], end]
    for low, high in pairwise(cuts):
        items = items_of(db, notes, since=low, before=high)
        for batch in meeting_batches(followed_items(cfg, items)):
            ordinal = tracker.ordinal
            placed = tracker.add(batch, cfg.tracking, cold, warnings)
            kept.add_placements(
                db,
                notes.name,
                [
                    kept.Placed(index, ordinal, pos, item.meeting_date, join)
                    for pos, (index, item, join) in enumerate(placed)
                ],
            )
    for warning in warnings:
        log.warning("%s", warning)


def items_of(db: Any, notes: SeriesNotes, *, since: date, before: date) -> list[Item]:
    """The items of the series' meetings held in [since, before), in its name now."""
    from digest.state.notes import load_items_of

    return [
        _named(i, notes.name)
        for i in load_items_of(db, notes.parsed_names, since=since, before=before)
        if i.meeting_id in notes.meetings
    ]


def _named(item: Item, series: str) -> Item:
    return item if item.series == series else replace(item, series=series)


def kept_threads(db: Any, notes: SeriesNotes, *, since: date, end: date) -> list[Thread]:
    """The kept threads of a series with an item held in [since, end), cut at `end`."""
    from digest.state.notes import items_by_key

    placed = kept.placements(db, notes.name, kept.threads_between(db, notes.name, since, end), end)
    items = items_by_key(db, [p.join.item_key for p in placed])
    threads: dict[int, Thread] = {}
    for p in placed:
        item: Item | None = items.get(p.join.item_key)
        if item is None:  # gone since (kept threads are brought up to date first)
            continue
        thread = threads.get(p.index)
        if thread is None:
            thread = threads[p.index] = Thread(id=item.key, series=notes.name)
        thread.items.append(_named(item, notes.name))
        thread.joins.append(p.join)
    return [threads[index] for index in sorted(threads)]
