"""Date math of billing periods: bill-cycle days at month ends, leap years, weeks, years, proration."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from invoicing.services.periods import (
    Grid,
    Period,
    charge_grid,
    cycle_grid,
    proration,
    service_days,
    service_intervals,
)


def test_bill_day_31_falls_back_to_the_last_day_of_february():
    grid = Grid("month", 31)

    assert grid.containing(date(2023, 2, 10)) == Period(date(2023, 1, 31), date(2023, 2, 28))
    assert grid.containing(date(2023, 2, 28)) == Period(date(2023, 2, 28), date(2023, 3, 31))
    assert grid.containing(date(2023, 4, 30)) == Period(date(2023, 4, 30), date(2023, 5, 31))


def test_bill_day_31_in_a_leap_year_uses_february_29():
    grid = Grid("month", 31)

    assert grid.containing(date(2024, 2, 28)) == Period(date(2024, 1, 31), date(2024, 2, 29))
    assert grid.containing(date(2024, 2, 28)).days == 29
    assert grid.containing(date(2024, 2, 29)) == Period(date(2024, 2, 29), date(2024, 3, 31))


def test_bill_day_29_and_30_in_february_of_a_common_year():
    assert Grid("month", 29).containing(date(2023, 3, 1)) == Period(date(2023, 2, 28), date(2023, 3, 29))
    assert Grid("month", 30).containing(date(2023, 2, 27)) == Period(date(2023, 1, 30), date(2023, 2, 28))


def test_weekly_cycle_starts_on_its_iso_weekday():
    # 2024-03-13 is a Wednesday; bill day 1 = Monday, 5 = Friday.
    assert cycle_grid("week", 1).containing(date(2024, 3, 13)) == Period(date(2024, 3, 11), date(2024, 3, 18))
    assert cycle_grid("week", 5).containing(date(2024, 3, 13)) == Period(date(2024, 3, 8), date(2024, 3, 15))


def test_yearly_cycle_starts_on_the_bill_day_of_january():
    assert cycle_grid("year", 15).containing(date(2024, 1, 10)) == Period(date(2023, 1, 15), date(2024, 1, 15))


def test_yearly_charge_is_anchored_on_the_first_bill_day_after_the_start():
    # Start 10 March, bill day 1: periods run 1 April to 1 April; the 22 days of March are a stub
    # in the year [2023-04-01, 2024-04-01), which holds 29 February 2024: 366 days.
    grid = charge_grid("year", "month", 1, date(2024, 3, 10))

    stub = grid.containing(date(2024, 3, 10))
    assert stub == Period(date(2023, 4, 1), date(2024, 4, 1))
    assert stub.days == 366
    assert grid.following(stub) == Period(date(2024, 4, 1), date(2025, 4, 1))


def test_yearly_charge_starting_on_the_bill_day_has_no_stub():
    grid = charge_grid("year", "month", 1, date(2024, 4, 1))

    assert grid.containing(date(2024, 4, 1)) == Period(date(2024, 4, 1), date(2025, 4, 1))


def test_monthly_charge_on_a_weekly_cycle_uses_calendar_months():
    assert charge_grid("month", "week", 3, date(2024, 3, 13)).containing(date(2024, 3, 13)) == Period(
        date(2024, 3, 1), date(2024, 4, 1)
    )


def test_pauses_cut_days_of_service():
    intervals = service_intervals(date(2024, 3, 1), date(2024, 3, 31), [(date(2024, 3, 11), date(2024, 3, 20))])

    assert intervals == [(date(2024, 3, 1), date(2024, 3, 11)), (date(2024, 3, 21), date(2024, 4, 1))]
    assert service_days(intervals, Period(date(2024, 3, 1), date(2024, 4, 1))) == 21


def test_an_open_pause_stops_service_until_resumed():
    intervals = service_intervals(date(2024, 3, 1), None, [(date(2024, 3, 11), None)])

    assert service_days(intervals, Period(date(2024, 3, 1), date(2024, 4, 1))) == 10
    assert service_days(intervals, Period(date(2024, 4, 1), date(2024, 5, 1))) == 0


def test_proration_is_days_of_service_over_days_of_the_period():
    march = Period(date(2024, 3, 1), date(2024, 4, 1))

    assert proration(14, march, "month", thirty_day_months=False) == (14, 31)


def test_thirty_day_months_count_each_day_as_a_thirtieth_and_never_more_than_the_month():
    march, february = Period(date(2024, 3, 1), date(2024, 4, 1)), Period(date(2023, 2, 1), date(2023, 3, 1))

    assert proration(17, march, "month", thirty_day_months=True) == (17, 30)
    assert proration(31, march, "month", thirty_day_months=True) == (30, 30)
    assert proration(28, february, "month", thirty_day_months=True) == (30, 30)
    assert proration(14, february, "month", thirty_day_months=True) == (14, 30)
    # The option is about months only: a week is still 7 days.
    assert proration(3, Period(date(2024, 3, 11), date(2024, 3, 18)), "week", thirty_day_months=True) == (3, 7)


def test_index_of_counts_periods_from_the_one_holding_the_origin():
    grid = Grid("month", 15)

    assert grid.index_of(date(2024, 3, 20), grid.containing(date(2024, 3, 20))) == 0
    assert grid.index_of(date(2024, 3, 20), grid.containing(date(2024, 5, 1))) == 1


@given(
    unit=st.sampled_from(["day", "week", "month", "year"]),
    day=st.integers(min_value=1, max_value=31),
    when=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)),
)
def test_periods_hold_their_day_and_tile_the_calendar_without_gaps(unit, day, when):
    grid = Grid(unit, day if unit != "week" else (day - 1) % 7 + 1, month=day % 12 + 1)

    period = grid.containing(when)
    following = grid.following(period)

    assert period.start <= when < period.end
    assert following.start == period.end
    assert grid.containing(period.end - timedelta(days=1)) == period
