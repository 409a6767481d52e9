"""Digests from the state DB: the I/O edge that ties threads and buckets together."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.config.schema import Config, ConfigError, TrackingConfig
from digest.errors import UserError
from digest.model import Digest, Item, Meeting, StaleSource, Thread
from digest.periods import Period, last_complete
from digest.state.db import transaction
from digest.state.notes import HiddenMark, hidden_text
from digest.tracking.buckets import build_digest
from digest.tracking.conventions import SeriesConventions, ignored, infer_conventions
from digest.tracking.links import meeting_link, source_link
from digest.tracking.series import SeriesMeeting, SeriesResolution, resolve_series
from digest.tracking.threads import build_threads, copied_meetings

if TYPE_CHECKING:
    from digest.app.tracked import SeriesNotes

log = logging.getLogger("digest")


def local_today(cfg: Config, now: datetime) -> date:
    """Today in the digest's timezone ([digest] timezone), which decides the month."""
    try:
        zone = ZoneInfo(cfg.digest.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f'{cfg.path}: [digest] timezone "{cfg.digest.timezone}" is not a known time zone '
            f'(use a name like "Europe/Rome" or "UTC").'
        ) from None
    return now.astimezone(zone).date()


def series_of(db: Any, rows: Sequence[tuple[Any, ...]] | None = None) -> SeriesResolution:
    """Which stored meetings form one series, named by its newest title
    (digest.tracking.series); `rows`: digest.state.notes.meeting_rows, when read already."""
    from digest.state.notes import meeting_rows

    rows = meeting_rows(db) if rows is None else rows
    return resolve_series(SeriesMeeting(*row) for row in rows)


def load_notes(
    db: Any, *, before: date | None = None
) -> tuple[list[Meeting], list[Item], SeriesResolution]:
    """The stored meetings and items, each in the series a reader sees; only those of
    meetings held before `before` when given."""
    from digest.state.notes import load_items

    meetings, resolution = load_series_meetings(db, before=before)
    items = [
        replace(i, series=resolution.of(i.meeting_id, i.series))
        for i in load_items(db, before=before)
    ]
    return meetings, items, resolution


def load_series_meetings(
    db: Any, *, before: date | None = None
) -> tuple[list[Meeting], SeriesResolution]:
    """The stored meetings, each in the series a reader sees (not their items)."""
    from digest.state.notes import load_meetings

    resolution = series_of(db)
    return [named(m, resolution) for m in load_meetings(db, before=before)], resolution


def named(meeting: Meeting, resolution: SeriesResolution) -> Meeting:
    """A stored meeting in the series a reader sees (its parsed name may be an older one)."""
    name = resolution.of(meeting.id, meeting.series)
    title = meeting.title
    if meeting.series_origin == "fallback" and title.startswith(meeting.series + " "):
        title = name + title[len(meeting.series) :]  # "Meetings 2026-03-11", named after all
    if name == meeting.series and title == meeting.title:
        return meeting
    return replace(meeting, series=name, title=title)


def known_series(db: Any) -> list[str]:
    return series_of(db).names()


def match_series(
    known: Sequence[str], wanted: str | None, resolution: SeriesResolution | None = None
) -> list[str]:
    """Series whose name (or an earlier name of it) contains `wanted` (case-insensitive);
    all when None."""
    if not wanted:
        return list(known)
    hits = [s for s in known if wanted.lower() in s.lower()]
    if resolution is not None:
        hits = [s for s in known if s in resolution.matching(wanted)]
    if not hits:
        names = ", ".join(known) or "none (run `digest sync` first)"
        raise UserError(f"no series matches '{wanted}'; known: {names}.")
    return hits


def compute_digests(
    cfg: Config,
    db: Any,
    *,
    period: Period | None = None,
    series: str | None = None,
    now: datetime | None = None,
) -> list[Digest]:
    """One digest per series (matching `series`) for `period` (default: last full month).

    Without a series filter, only series with meetings in the period, or notes that
    arrived late for it, get a digest; with one, every matching series does.
    """
    from digest.state import ledger

    now = now or datetime.now(UTC)
    period = period or last_complete(local_today(cfg, now))
    # A month's digest reads only the notes of its window up to its end (the threads
    # are built meeting by meeting): later meetings are never read.
    followed = load_followed(cfg, db, series)
    return followed.digests(
        cfg, period, built_at=ledger.built_at(db, followed.renamed), keep_empty=series is not None
    )


@dataclass(frozen=True)
class Unread:
    """The sources this run's sync could not read, and which series each one feeds.

    A source feeds the series its stored meetings are in (as a reader sees them),
    else the series its `series` setting names. A failed source with neither (a new
    config whose source never read) could feed any series: it holds back all of them.
    """

    sources: list[StaleSource]
    feeds: dict[str, frozenset[str] | None]  # source -> its series; None: unknown

    def of(self, series: str) -> list[StaleSource]:
        """The unread sources that feed `series`: its digest would be built without them."""
        return [s for s in self.sources if (fed := self.feeds[s.source]) is None or series in fed]

    @property
    def unknown(self) -> list[str]:
        """The unread sources whose series are unknown (they hold back every series)."""
        return [name for name, fed in self.feeds.items() if fed is None]


def unread_sources(
    cfg: Config, failed: Sequence[StaleSource], meetings: Sequence[Meeting]
) -> Unread:
    """Which series the sources that failed in this sync feed (see Unread)."""
    settings = {s.name: s for s in cfg.sources}
    feeds: dict[str, frozenset[str] | None] = {}
    for stale in failed:
        fed = frozenset(m.series for m in meetings if m.source == stale.source)
        override = settings[stale.source].series if stale.source in settings else ""
        if not fed and override:
            fed = frozenset([override])
        feeds[stale.source] = fed or None
    return Unread(list(failed), feeds)


@dataclass(frozen=True)
class Followed:
    """What the digests of some series are built from: their meetings, and their
    threads kept in the state (digest.app.tracked), brought up to each month asked
    for; a run's months are taken in order, so each meeting is placed once."""

    series: list[str]  # the chosen series
    # A series' earlier names -> its name now (digest.tracking.series), for the ledger.
    renamed: dict[str, str]
    db: Any
    notes: dict[str, SeriesNotes]
    resolution: SeriesResolution
    hidden: list[HiddenMark]

    def names_of(self, series: str) -> list[str]:
        """The series' name now first, then the earlier names it was mailed under."""
        return [
            series,
            *sorted(a for a, name in self.renamed.items() if name == series and a != series),
        ]

    def digests(
        self,
        cfg: Config,
        period: Period,
        *,
        built_at: Mapping[str, Mapping[Period, datetime]],
        series: Sequence[str] | None = None,
        keep_empty: bool = False,
    ) -> list[Digest]:
        """The period's digests of `series` (default: every chosen series)."""
        from digest.app.tracked import items_of, keep_up, kept_threads, rules_key
        from digest.state.notes import load_meetings_of

        key = rules_key(cfg)
        end = period.end
        digests: list[Digest] = []
        for name in sorted(self.series if series is None else series):
            notes = self.notes.get(name)
            if notes is None:
                continue
            keep_up(cfg, self.db, notes, end, key)
            since = window_start([d for d, _ in notes.meetings.values()], end, cfg.tracking)
            meetings = [
                named(m, self.resolution)
                for m in load_meetings_of(self.db, notes.parsed_names, since=since, before=end)
                if m.id in notes.meetings
            ]
            threads = kept_threads(self.db, notes, since=since, end=end)
            items = items_of(self.db, notes, since=since, before=end)
            digest = series_digest(
                cfg,
                name,
                period,
                meetings=meetings,
                items=items,
                threads=without_hidden(threads, self.hidden),
                built_at=built_at.get(name, {}),
            )
            if keep_empty or digest.meetings or digest.late:
                digests.append(digest)
        return digests


def load_followed(cfg: Config, db: Any, series: str | None) -> Followed:
    """The series whose name contains `series` (all when None), from the state (each
    digest then reads only the notes up to its period's end)."""
    from digest.app.tracked import series_notes
    from digest.state import threads as kept
    from digest.state.notes import hidden_marks, meeting_rows, meeting_versions

    rows = meeting_rows(db)
    resolution = series_of(db, rows)
    chosen = match_series(resolution.names(), series, resolution)
    notes = series_notes(rows, meeting_versions(db), resolution)
    # Threads kept under a name no series has any more (renamed): rebuilt under the new one.
    for name in set(kept.kept_series(db)) - set(notes):
        with transaction(db):
            kept.forget(db, name)
    renamed = {alias: name for name in chosen for alias in resolution.aliases.get(name, ())}
    return Followed(chosen, renamed, db, notes, resolution, hidden_marks(db))


def without_hidden(threads: Sequence[Thread], marks: Sequence[HiddenMark]) -> list[Thread]:
    """The threads a maintainer has not hidden (`digest items hide`): a mark matches a
    thread's first item by key, or by meeting and words when an edit moved its line."""
    if not marks:
        return list(threads)
    keys = {m.thread_id for m in marks}
    words = {(m.meeting_id, m.text) for m in marks}
    return [
        t
        for t in threads
        if t.id not in keys and (t.first.meeting_id, hidden_text(t.first.text)) not in words
    ]


def followed_items(
    cfg: Config, items: Sequence[Item], copies: frozenset[str] | None = None
) -> list[Item]:
    """The items, less those [tracking] ignore drops (they are never followed) and
    those of meetings that copy another (`copies`, else copied_meetings(items))."""
    patterns = cfg.tracking.ignore
    copies = copied_meetings(items) if copies is None else copies
    return [
        i
        for i in items
        if i.meeting_id not in copies and not (i.followed and patterns and ignored(i, patterns))
    ]


def series_conventions(
    items: Sequence[Item], threads: Sequence[Thread], tracking: TrackingConfig
) -> dict[str, SeriesConventions]:
    """Each series' habits (digest.tracking.conventions), from the items and threads given."""
    by_series: dict[str, list[Item]] = {}
    for item in items:
        by_series.setdefault(item.series, []).append(item)
    by_thread: dict[str, list[Thread]] = {}
    for thread in threads:
        by_thread.setdefault(thread.series, []).append(thread)
    boxes = {name: tracking.boxes_of([name]) for name in by_series}
    return infer_conventions(by_series, by_thread, boxes=boxes)


def cut(threads: Sequence[Thread], end: date) -> list[Thread]:
    """The threads as they stood before `end`: their items up to then."""
    out = []
    for thread in threads:
        items = [i for i in thread.items if i.meeting_date < end]
        if items:
            out.append(replace(thread, items=items, joins=thread.joins[: len(items)]))
    return out


# A series' habits (digest.tracking.conventions) are learnt from the months in which
# it met, at most this many before a digest's end: enough meetings to see a habit,
# recent enough to follow a team that changed its ways.
CONVENTION_MONTHS = 24


def window_start(meeting_dates: Sequence[date], end: date, tracking: TrackingConfig) -> date:
    """The first day a digest up to `end` reads: that of the last CONVENTION_MONTHS
    (or [tracking] forget_after, if more) months in which the series met.

    A thread with no item since is never listed (it went quiet more than forget_after
    such months ago), so the digest's cost does not grow with the history."""
    held = sorted({(d.year, d.month) for d in meeting_dates if d < end})  # no Period per day
    months = max(tracking.forget_after, CONVENTION_MONTHS)
    return Period(*held[-months]).start if len(held) >= months else date.min


def series_digest(
    cfg: Config,
    name: str,
    period: Period,
    *,
    meetings: Sequence[Meeting],
    items: Sequence[Item],
    threads: Sequence[Thread],
    built_at: Mapping[Period, datetime],
) -> Digest:
    """One series' digest for `period`, from its meetings before the period's end, and
    its items and threads (cut at the end) of the months window_start chose."""
    copies = copied_meetings(items)
    items = followed_items(cfg, items, copies)
    meetings = [m for m in meetings if m.id not in copies]
    conventions = series_conventions(items, threads, cfg.tracking)
    return build_digest(
        threads,
        meetings,
        series=name,
        period=period,
        tracking=cfg.tracking,
        highlights=[i for i in items if i.kind == "decision"],
        built_at=built_at,
        link=lambda item: source_link(cfg, item),
        meeting_link=lambda meeting: meeting_link(cfg, meeting),
        conventions=conventions.get(name),
    )


def digests_from(
    cfg: Config,
    meetings: Sequence[Meeting],
    items: Sequence[Item],
    *,
    period: Period,
    series: Sequence[str],
    built_at: Mapping[str, Mapping[Period, datetime]],
    keep_empty: bool = False,
    threads: Sequence[Thread] | None = None,
) -> list[Digest]:
    """The pure part of compute_digests: digests from meetings and items in memory
    (what the kept threads give, built here from the items).

    `threads` may be passed when building many months from the same items; they are
    cut at the period's end, so later notes never change a month's digest.
    """
    wanted = set(series)
    end = period.end
    upto = [i for i in items if i.series in wanted and i.meeting_date < end]
    if threads is None:
        threads = build_threads(followed_items(cfg, upto), cfg.tracking)
    threads = cut([t for t in threads if t.series in wanted], end)
    digests: list[Digest] = []
    for name in sorted(wanted):
        own = [m for m in meetings if m.series == name and m.date < end]
        since = window_start([m.date for m in own], end, cfg.tracking)
        digest = series_digest(
            cfg,
            name,
            period,
            meetings=own,
            items=[i for i in upto if i.series == name and i.meeting_date >= since],
            threads=[t for t in threads if t.series == name and t.last.meeting_date >= since],
            built_at=built_at.get(name, {}),
        )
        if keep_empty or digest.meetings or digest.late:
            digests.append(digest)
    return digests
