"""Which monthly periods are due: pure functions, the clock is passed in.

A period is a calendar month, written "YYYY-MM". A period is complete once the
month after it has begun (in the digest's time zone), and only complete periods
are ever due. `digest send` asks `due_periods` what to do, so

- a second firing of the timer in the same month finds nothing due (a no-op);
- months missed while the host was off are all due at the next run, oldest first;
- a month recorded as skipped (no new notes) is never reconsidered.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from zoneinfo import ZoneInfo

from digest.model import Digest


def period_of(day: date) -> str:
    """The period ("YYYY-MM") a day or datetime falls in."""
    return f"{day.year:04d}-{day.month:02d}"


def parse_period(period: str) -> tuple[int, int]:
    """(year, month) of a "YYYY-MM" period; ValueError when it is not one."""
    year_text, sep, month_text = period.partition("-")
    if not (sep and len(year_text) == 4 and year_text.isdigit() and month_text.isdigit()):
        raise ValueError(f'not a period like "2026-01": {period!r}')
    year, month = int(year_text), int(month_text)
    if not 1 <= month <= 12 or len(month_text) != 2:
        raise ValueError(f'not a period like "2026-01": {period!r}')
    return year, month


def next_period(period: str) -> str:
    year, month = parse_period(period)
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def previous_period(period: str) -> str:
    year, month = parse_period(period)
    return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def period_bounds(period: str) -> tuple[date, date]:
    """First day of the period and first day of the next one (half-open)."""
    year, month = parse_period(period)
    next_year, next_month = parse_period(next_period(period))
    return date(year, month, 1), date(next_year, next_month, 1)


def last_complete_period(now: datetime) -> str:
    """The newest month that has ended at `now` (read in now's own time zone)."""
    return previous_period(period_of(now))


def local_now(timezone: str = "UTC") -> datetime:
    """The current time in the digest's time zone ([digest] timezone)."""
    return datetime.now(ZoneInfo(timezone))


def due_periods(
    *,
    now: datetime,
    start: str | None,
    sent: Collection[str],
    skipped: Collection[str] = (),
) -> list[str]:
    """Complete periods still to send, oldest first.

    From `start` (the config's [schedule] start) through the last complete
    month before `now`, minus those already sent or skipped. With no start, the
    first run sends only the last complete month, and later runs catch up from
    the oldest period ever sent or skipped: the state remembers where we began,
    so nothing from before the first run is mailed out of the blue.
    """
    last = last_complete_period(now)
    done = set(sent) | set(skipped)
    if start:
        first = start
    elif done:
        first = min(done)
    else:
        first = last
    parse_period(first)  # a malformed start is a bug upstream: fail loudly
    due: list[str] = []
    period = first
    while period <= last:  # "YYYY-MM" strings sort in calendar order
        if period not in done:
            due.append(period)
        period = next_period(period)
    return due


def should_skip(digest: Digest, *, skip_if_no_new_notes: bool = True) -> str | None:
    """Why this digest is not worth mailing, or None to send it.

    A period with no meeting in it and no late note has nothing new to say;
    with [schedule] skip_if_no_new_notes (the default) it is recorded as
    "skipped" instead of mailing an empty digest. A period with only late notes
    is sent, since those notes would otherwise reach nobody.
    """
    if not skip_if_no_new_notes:
        return None
    if digest.meetings or digest.late:
        return None
    return f"no meetings of {digest.series} in {digest.period} and no late notes"
