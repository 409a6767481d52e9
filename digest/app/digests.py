"""Digests from the state DB: the I/O edge that ties threads and buckets together."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.config.schema import Config, ConfigError
from digest.errors import UserError
from digest.model import Digest, Item, Meeting, Thread
from digest.periods import Period, last_complete
from digest.tracking.buckets import build_digest
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
    and the threads of those series, built once (not once per month of a run)."""

    series: list[str]  # the chosen series
    meetings: list[Meeting]
    items: list[Item]
    threads: list[Thread]

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
            threads=self.threads,
        )


def load_followed(cfg: Config, db: Any, series: str | None) -> Followed:
    """The series whose name contains `series` (all when None), from the state."""
    from digest.state.notes import list_series, load_items, load_meetings

    chosen = match_series(list_series(db), series)
    wanted = set(chosen)
    items = load_items(db)
    threads = build_threads([i for i in items if i.series in wanted], cfg.tracking)
    return Followed(chosen, load_meetings(db), items, threads)


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

    `threads` may be passed when building many months from the same items.
    """
    wanted = set(series)
    if threads is None:
        threads = build_threads([i for i in items if i.series in wanted], cfg.tracking)
    highlights = [i for i in items if i.role == "highlight" and i.series in wanted]
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
