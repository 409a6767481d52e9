"""Digests from the state DB: the I/O edge that ties threads and buckets together."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.config.schema import Config, ConfigError, TrackingConfig
from digest.errors import UserError
from digest.model import Digest, Item, Meeting, Thread
from digest.periods import Period, last_complete
from digest.tracking.buckets import build_digest
from digest.tracking.conventions import (
    SeriesConventions,
    apply_box_meaning,
    infer_box_meaning,
    infer_conventions,
    mark_recurring,
)
from digest.tracking.links import meeting_link, source_link
from digest.tracking.threads import build_threads


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


def match_series(known: Sequence[str], wanted: str | None) -> list[str]:
    """Series whose name contains `wanted` (case-insensitive); all when None."""
    if not wanted:
        return list(known)
    hits = [s for s in known if wanted.lower() in s.lower()]
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
    followed = load_followed(cfg, db, series)
    return followed.digests(
        cfg, period, built_at=ledger.built_at(db), keep_empty=series is not None
    )


@dataclass(frozen=True)
class Followed:
    """What the digests of some series are built from: the stored meetings and items,
    loaded once for a run (each month reads only the notes up to its own end)."""

    series: list[str]  # the chosen series
    meetings: list[Meeting]
    items: list[Item]

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
        return digests_from(
            cfg,
            self.meetings,
            self.items,
            period=period,
            series=self.series if series is None else series,
            built_at=built_at,
            keep_empty=keep_empty,
        )


def load_followed(cfg: Config, db: Any, series: str | None) -> Followed:
    """The series whose name contains `series` (all when None), from the state."""
    from digest.state.notes import list_series, load_items, load_meetings

    chosen = match_series(list_series(db), series)
    return Followed(chosen, load_meetings(db), load_items(db))


def follow(
    items: Sequence[Item], tracking: TrackingConfig
) -> tuple[list[Thread], dict[str, SeriesConventions]]:
    """Threads of the followed items, read with each series' own conventions
    (digest.tracking.conventions): template lines and chores are not followed, and a
    ticked box means what the series means by it. Uses only the items given, so the
    threads of a month's digest come from the notes up to that month."""
    by_series: dict[str, list[Item]] = {}
    for item in items:
        by_series.setdefault(item.series, []).append(item)
    conventions = infer_conventions(by_series)
    threads: list[Thread] = []
    for name in sorted(by_series):
        marked = mark_recurring(by_series[name], conventions[name].recurring)
        found = build_threads(marked, tracking)
        boxes, why = infer_box_meaning(found)
        if tracking.boxes != "auto":
            boxes, why = tracking.boxes, "set in the config ([tracking] boxes)"
        conventions[name] = replace(conventions[name], boxes=boxes, boxes_why=why)
        threads.extend(apply_box_meaning(found, boxes))
    return threads, conventions


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
    """The pure part of compute_digests: digests from meetings and items in memory.

    `threads` may be passed (tests); by default they are followed from the notes up
    to the end of the period only, so later notes never change a month's digest.
    """
    wanted = set(series)
    upto = [i for i in items if i.series in wanted and i.meeting_date < period.end]
    if threads is None:
        threads, _ = follow(upto, cfg.tracking)
    highlights = [i for i in upto if i.kind == "decision"]
    digests: list[Digest] = []
    for name in sorted(wanted):
        digest = build_digest(
            [t for t in threads if t.series == name],
            [m for m in meetings if m.series == name],
            series=name,
            period=period,
            tracking=cfg.tracking,
            highlights=[i for i in highlights if i.series == name],
            built_at=built_at.get(name, {}),
            link=lambda item: source_link(cfg, item),
            meeting_link=lambda meeting: meeting_link(cfg, meeting),
        )
        if keep_empty or digest.meetings or digest.late:
            digests.append(digest)
    return digests
