"""A period is one calendar month, parsed strictly once and stepped without overflow."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from digest.periods import Period, PeriodError, last_complete, month_name


def test_period_arithmetic_crosses_year_ends() -> None:
    assert Period(2025, 12).next() == Period(2026, 1)
    assert Period(2026, 1).previous() == Period(2025, 12)
    assert Period(2026, 3).next() == Period(2026, 4)
    assert (Period(2024, 2).start, Period(2024, 2).end) == (date(2024, 2, 1), date(2024, 3, 1))
    assert (Period(2025, 12).start, Period(2025, 12).end) == (date(2025, 12, 1), date(2026, 1, 1))
    assert Period(2024, 2).last_day == date(2024, 2, 29)


def test_a_period_reads_and_writes_yyyy_mm_and_sorts_in_calendar_order() -> None:
    assert str(Period.parse("2026-08")) == "2026-08"
    assert Period.parse("0999-01") < Period.parse("2026-08") < Period.parse("2026-10")
    assert Period.of(date(2026, 10, 31)) == Period(2026, 10)
    assert Period(2026, 10).name == "October 2026"
    assert Period(2026, 10).contains(date(2026, 10, 1))
    assert not Period(2026, 10).contains(date(2026, 11, 1))


@pytest.mark.parametrize(
    "bad", ["2026-13", "2026-00", "2026-1", "2026-8", "26-01", "2026/01", "", "２０２６-01"]
)
def test_parse_rejects_what_is_not_a_month(bad: str) -> None:
    with pytest.raises(PeriodError) as caught:
        Period.parse(bad)
    assert not caught.value.out_of_range
    assert caught.value.sentence("[schedule] start") == (
        f'[schedule] start must be a month like "2026-01", got "{bad}".'
    )


@pytest.mark.parametrize("bad", ["9999-12", "9999-01", "0000-05"])
def test_months_whose_next_month_date_cannot_hold_are_refused_when_parsed(bad: str) -> None:
    with pytest.raises(PeriodError) as caught:
        Period.parse(bad)
    assert caught.value.out_of_range
    assert caught.value.sentence("--period") == (
        f'--period must be a month from 0001-01 to 9998-12, got "{bad}".'
    )
    with pytest.raises(PeriodError):
        Period.of(date(9999, 12, 2))
    assert not Period.holds(date(9999, 12, 2))


def test_the_last_month_that_parses_has_bounds() -> None:
    last = Period.parse("9998-12")
    assert last.end == date(9999, 1, 1)
    assert Period.parse("0001-01").start == date(1, 1, 1)


def test_a_month_is_complete_only_once_the_next_has_begun_in_the_digest_time_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 23:30 UTC on 31 March is already 1 April in Berlin: March is complete there.
    moment = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    assert last_complete(moment) == Period(2026, 2)
    assert last_complete(moment.astimezone(berlin)) == Period(2026, 3)


def test_month_name_leaves_other_text_alone() -> None:
    assert month_name(Period(2026, 10)) == "October 2026"
    assert month_name("2026-10") == "October 2026"
    assert month_name("soon") == "soon"
    assert month_name(None) == ""
