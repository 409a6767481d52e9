"""A digest's period: one calendar month, parsed once and used everywhere.

`Period` is the only place that reads, writes and steps months. Text becomes a
Period at the edges (the command line, the config file, the state database) with
`Period.parse`, which is strict: "2026-08", never "2026-8". A month outside the
years 1 to 9998 is refused there too, so stepping to the next month and taking a
month's bounds can never overflow what `datetime.date` represents.

Written "YYYY-MM" (str(period)), periods sort in calendar order as text too, which
is how the state database stores them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

MIN_YEAR = 1
MAX_YEAR = 9998  # the month after December 9998 still has a first day date() can hold


class PeriodError(ValueError):
    """Text that is not a month this program handles (str() says why, in a few words)."""

    def __init__(self, text: str, *, out_of_range: bool = False) -> None:
        self.text = text
        self.out_of_range = out_of_range
        why = "outside the years 1 to 9998" if out_of_range else 'not a month like "2026-01"'
        super().__init__(f"{text!r} is {why}")

    def sentence(self, setting: str, example: str = "2026-01") -> str:
        """One sentence for the user, naming the setting the text came from."""
        if self.out_of_range:
            return (
                f"{setting} must be a month from {Period(MIN_YEAR, 1)} to "
                f'{Period(MAX_YEAR, 12)}, got "{self.text}".'
            )
        return f'{setting} must be a month like "{example}", got "{self.text}".'


@dataclass(frozen=True, order=True)
class Period:
    """One calendar month. Ordered by time; str() is "YYYY-MM"."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise PeriodError(f"{self.year:04d}-{self.month:02d}")
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise PeriodError(f"{self.year:04d}-{self.month:02d}", out_of_range=True)

    @classmethod
    def parse(cls, text: str) -> Period:
        """The period written "YYYY-MM" (four-digit year, two-digit month); else PeriodError."""
        year, sep, month = text.partition("-")
        if not (
            sep
            and len(year) == 4
            and len(month) == 2
            and year.isascii()
            and year.isdigit()
            and month.isascii()
            and month.isdigit()
        ):
            raise PeriodError(text)
        if not 1 <= int(month) <= 12:
            raise PeriodError(text)
        if not MIN_YEAR <= int(year) <= MAX_YEAR:
            raise PeriodError(text, out_of_range=True)
        return cls(int(year), int(month))

    @classmethod
    def of(cls, day: date) -> Period:
        """The period a day (or datetime, in its own time zone) falls in."""
        return cls(day.year, day.month)

    @staticmethod
    def holds(day: date) -> bool:
        """True when `day` falls in a month this program handles (Period.of will not raise)."""
        return MIN_YEAR <= day.year <= MAX_YEAR

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> date:
        """The first day of the month."""
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        """The first day of the next month: the period is [start, end)."""
        if self.month == 12:
            return date(self.year + 1, 1, 1)
        return date(self.year, self.month + 1, 1)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def name(self) -> str:
        """ "October 2026"."""
        return f"{self.start:%B} {self.year}"  # calendar.month_name's text, without its import

    def next(self) -> Period:
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Period:
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end


def last_complete(now: datetime | date) -> Period:
    """The newest month that has ended at `now` (a datetime is read in its own time zone)."""
    return Period.of(now).previous()


def month_name(period: Period | str | None) -> str:
    """ "October 2026" for a period (or its "YYYY-MM" text); other text unchanged."""
    if period is None or period == "":
        return ""
    if isinstance(period, Period):
        return period.name
    try:
        return Period.parse(period).name
    except PeriodError:
        return period
