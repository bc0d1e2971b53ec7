"""Recurring charges to the cent: in advance and in arrears, starts, ends, plan changes and pauses in
28-, 29-, 30- and 31-day months, bill-cycle day 31, the 30-day option, annual and weekly periods.

Prices are 10.00 a month unless said otherwise; no tax rate is configured, so totals are the lines.
Every fraction is days of service / days of the period, rounded half-up once per line.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from invoicing.services import invoice_generate
from invoicing.tests.factories import (
    add_charge,
    amounts,
    bill,
    make_cycle,
    make_plan,
    make_postpaid,
    monthly_plan,
    subscribe,
    thirty_day_months,
)
from rating.services.subscription_changes import (
    subscription_change_plan,
    subscription_end,
    subscription_pause,
    subscription_resume,
)

pytestmark = pytest.mark.django_db

MONTHS = ["28-day", "29-day", "30-day", "31-day"]
# Service from the 1st to the 14th of a 28-, 29-, 30- and 31-day month, and what those 14 days are worth.
ENDS = [
    (date(2023, 2, 1), date(2023, 2, 14), date(2023, 3, 1), D("5.00")),  # 14/28
    (date(2024, 2, 1), date(2024, 2, 14), date(2024, 3, 1), D("4.83")),  # 14/29 = 4.8276
    (date(2024, 4, 1), date(2024, 4, 14), date(2024, 5, 1), D("4.67")),  # 14/30 = 4.6667
    (date(2024, 3, 1), date(2024, 3, 14), date(2024, 4, 1), D("4.52")),  # 14/31 = 4.5161
]


def test_in_advance_bills_the_coming_period_on_its_first_day(operator):
    account = make_postpaid(operator)
    subscribe(account, monthly_plan(operator, "10.00"), date(2024, 3, 1))

    march = bill(account, date(2024, 3, 1))
    april = bill(account, date(2024, 4, 1))

    assert amounts(march) == [("recurring", D("10.00"))]
    assert (march.lines.get().period_start, march.lines.get().period_end) == (date(2024, 3, 1), date(2024, 3, 31))
    assert amounts(april) == [("recurring", D("10.00"))]
    assert april.lines.get().period_start == date(2024, 4, 1)


def test_in_arrears_bills_the_period_just_ended(operator):
    account = make_postpaid(operator)
    subscribe(account, monthly_plan(operator, "10.00", timing="arrears"), date(2024, 3, 1))

    assert invoice_generate(account=account, bill_date=date(2024, 3, 1)) is None
    april = bill(account, date(2024, 4, 1))

    assert amounts(april) == [("recurring", D("10.00"))]
    assert (april.lines.get().period_start, april.lines.get().period_end) == (date(2024, 3, 1), date(2024, 3, 31))
    assert (april.period_start, april.period_end) == (date(2024, 3, 1), date(2024, 3, 31))


@pytest.mark.parametrize(
    ("start", "bill_date", "fraction", "stub"),
    [
        (date(2023, 2, 15), date(2023, 3, 1), (14, 28), D("5.00")),  # 10 x 14/28 = 5.00
        (date(2024, 2, 15), date(2024, 3, 1), (15, 29), D("5.17")),  # 10 x 15/29 = 5.1724 -> 5.17
        (date(2024, 4, 18), date(2024, 5, 1), (13, 30), D("4.33")),  # 10 x 13/30 = 4.3333 -> 4.33
        (date(2024, 3, 18), date(2024, 4, 1), (14, 31), D("4.52")),  # 10 x 14/31 = 4.5161 -> 4.52
    ],
    ids=MONTHS,
)
def test_start_mid_period_in_advance_prorates_the_first_period(operator, start, bill_date, fraction, stub):
    account = make_postpaid(operator)
    subscribe(account, monthly_plan(operator, "10.00"), start)

    invoice = bill(account, bill_date)

    assert amounts(invoice) == [("recurring", stub), ("recurring", D("10.00"))]
    first = invoice.lines.order_by("position").first()
    assert (first.proration_numerator, first.proration_denominator) == fraction
    assert first.explanation["proration"] == f"{fraction[0]}/{fraction[1]}"
    assert invoice.total == stub + D("10.00")


@pytest.mark.parametrize(("start", "end", "bill_date", "worth"), ENDS, ids=MONTHS)
def test_end_mid_period_credits_the_unused_part_of_an_in_advance_charge(operator, start, end, bill_date, worth):
    account = make_postpaid(operator)
    sub = subscribe(account, monthly_plan(operator, "10.00"), start)
    assert amounts(bill(account, start)) == [("recurring", D("10.00"))]

    subscription_end(subscription=sub, end_date=end)
    invoice = bill(account, bill_date)

    # Worth now minus billed: e.g. 4.52 - 10.00 = -5.48; nothing for the following month.
    assert amounts(invoice) == [("proration_credit", worth - D("10.00"))]
    line = invoice.lines.get()
    assert line.explanation["billed_proration"] == f"{line.proration_denominator}/{line.proration_denominator}"
    assert line.explanation["billed_amount"] == "10.00000000"
    assert invoice.total == worth - D("10.00")
    assert invoice_generate(account=account, bill_date=bill_date) is None  # credited once


@pytest.mark.parametrize(("start", "end", "bill_date", "worth"), ENDS, ids=MONTHS)
def test_end_mid_period_in_arrears_bills_the_days_used(operator, start, end, bill_date, worth):
    account = make_postpaid(operator)
    subscribe(account, monthly_plan(operator, "10.00", timing="arrears"), start, end=end)

    invoice = bill(account, bill_date)

    assert amounts(invoice) == [("recurring", worth)]


@pytest.mark.parametrize(
    ("start", "change", "bill_date", "credit", "new_stub"),
    [
        # old 10.00: 14/28 = 5.00 -> credit -5.00; new 20.00: 14/28 = 10.00
        (date(2023, 2, 1), date(2023, 2, 15), date(2023, 3, 1), D("-5.00"), D("10.00")),
        # old: 14/29 = 4.83 -> -5.17; new: 20 x 15/29 = 10.3448 -> 10.34
        (date(2024, 2, 1), date(2024, 2, 15), date(2024, 3, 1), D("-5.17"), D("10.34")),
        # old: 14/30 = 4.67 -> -5.33; new: 20 x 16/30 = 10.6667 -> 10.67
        (date(2024, 4, 1), date(2024, 4, 15), date(2024, 5, 1), D("-5.33"), D("10.67")),
        # old: 14/31 = 4.52 -> -5.48; new: 20 x 17/31 = 10.9677 -> 10.97
        (date(2024, 3, 1), date(2024, 3, 15), date(2024, 4, 1), D("-5.48"), D("10.97")),
    ],
    ids=MONTHS,
)
def test_plan_change_mid_period_credits_the_old_and_charges_the_new_once(
    operator, start, change, bill_date, credit, new_stub
):
    account = make_postpaid(operator)
    small = monthly_plan(operator, "10.00")
    large = make_plan(operator)
    large.product = small.product
    large.save()
    add_charge(large, amount="20.00", name="Monthly fee L")
    old = subscribe(account, small, start)
    bill(account, start)

    new = subscription_change_plan(subscription=old, price_plan=large, effective_date=change)
    invoice = bill(account, bill_date)

    assert amounts(invoice) == [("proration_credit", credit), ("recurring", new_stub), ("recurring", D("20.00"))]
    charged = {(line.subscription_id, line.period_start) for line in invoice.lines.all() if line.amount > 0}
    assert charged == {(new.pk, start), (new.pk, bill_date)}
    assert invoice.total == credit + new_stub + D("20.00")


@pytest.mark.parametrize(
    ("start", "pause", "bill_date", "credit"),
    [
        (date(2023, 2, 1), (date(2023, 2, 11), date(2023, 2, 20)), date(2023, 3, 1), D("-3.57")),  # 18/28=6.43
        (date(2024, 2, 1), (date(2024, 2, 11), date(2024, 2, 20)), date(2024, 3, 1), D("-3.45")),  # 19/29=6.55
        (date(2024, 4, 1), (date(2024, 4, 11), date(2024, 4, 20)), date(2024, 5, 1), D("-3.33")),  # 20/30=6.67
        (date(2024, 3, 1), (date(2024, 3, 11), date(2024, 3, 20)), date(2024, 4, 1), D("-3.23")),  # 21/31=6.77
    ],
    ids=MONTHS,
)
def test_pause_mid_period_credits_the_paused_days(operator, start, pause, bill_date, credit):
    account = make_postpaid(operator)
    sub = subscribe(account, monthly_plan(operator, "10.00"), start)
    bill(account, start)

    subscription_pause(subscription=sub, start_date=pause[0], end_date=pause[1])
    invoice = bill(account, bill_date)

    assert amounts(invoice) == [("proration_credit", credit), ("recurring", D("10.00"))]


def test_open_pause_charges_nothing_until_resumed_then_the_days_of_service(operator):
    account = make_postpaid(operator)
    sub = subscribe(account, monthly_plan(operator, "10.00"), date(2024, 3, 1))
    bill(account, date(2024, 3, 1))
    subscription_pause(subscription=sub, start_date=date(2024, 3, 11))

    april = bill(account, date(2024, 4, 1))
    assert amounts(april) == [("proration_credit", D("-6.77"))]  # 10/31 = 3.23 used of 10.00
    assert invoice_generate(account=account, bill_date=date(2024, 5, 1)) is None

    subscription_resume(subscription=sub, resume_date=date(2024, 5, 10))
    june = bill(account, date(2024, 6, 1))
    # May 10..31 = 22/31 = 7.0968 -> 7.10 (billed late, the period was paused on 1 May); June in full.
    assert amounts(june) == [("recurring", D("7.10")), ("recurring", D("10.00"))]


def test_bill_day_31_in_february(operator):
    account = make_postpaid(operator, cycle=make_cycle(operator, bill_day=31))
    subscribe(account, monthly_plan(operator, "10.00"), date(2023, 2, 10))

    invoice = bill(account, date(2023, 2, 28))

    # [31 Jan, 28 Feb) holds 28 days; 10..27 Feb = 18 days: 10 x 18/28 = 6.4286 -> 6.43;
    # then [28 Feb, 31 Mar) in advance.
    assert amounts(invoice) == [("recurring", D("6.43")), ("recurring", D("10.00"))]
    lines = list(invoice.lines.order_by("position"))
    assert (lines[0].proration_numerator, lines[0].proration_denominator) == (18, 28)
    assert (lines[1].period_start, lines[1].period_end) == (date(2023, 2, 28), date(2023, 3, 30))
    assert (invoice.period_start, invoice.period_end) == (date(2023, 1, 31), date(2023, 2, 27))
    assert amounts(bill(account, date(2023, 3, 31))) == [("recurring", D("10.00"))]


def test_bill_day_31_in_february_of_a_leap_year(operator):
    account = make_postpaid(operator, cycle=make_cycle(operator, bill_day=31))
    subscribe(account, monthly_plan(operator, "10.00"), date(2024, 2, 10))

    invoice = bill(account, date(2024, 2, 29))

    # [31 Jan, 29 Feb) holds 29 days; 10..28 Feb = 19 days: 10 x 19/29 = 6.5517 -> 6.55.
    assert amounts(invoice) == [("recurring", D("6.55")), ("recurring", D("10.00"))]
    lines = list(invoice.lines.order_by("position"))
    assert (lines[0].proration_numerator, lines[0].proration_denominator) == (19, 29)
    assert (lines[1].period_start, lines[1].period_end) == (date(2024, 2, 29), date(2024, 3, 30))


def test_thirty_day_option_prorates_per_thirtieth(operator):
    thirty_day_months(operator)
    account = make_postpaid(operator)
    subscribe(account, monthly_plan(operator, "10.00"), date(2024, 3, 15))
    short = make_postpaid(operator)
    subscribe(short, monthly_plan(operator, "10.00"), date(2023, 2, 15))

    march = bill(account, date(2024, 4, 1))
    february = bill(short, date(2023, 3, 1))

    # 15..31 March = 17 days: 10 x 17/30 = 5.6667 -> 5.67 (actual days would give 17/31 = 5.48);
    # 15..28 February = 14 days: 10 x 14/30 = 4.6667 -> 4.67. Full months are 30/30 whatever their length.
    assert amounts(march) == [("recurring", D("5.67")), ("recurring", D("10.00"))]
    assert amounts(february) == [("recurring", D("4.67")), ("recurring", D("10.00"))]
    assert march.lines.order_by("position").last().proration_denominator == 30


def test_thirty_day_option_credit_after_an_end(operator):
    thirty_day_months(operator)
    account = make_postpaid(operator)
    sub = subscribe(account, monthly_plan(operator, "10.00"), date(2024, 3, 1))
    bill(account, date(2024, 3, 1))

    subscription_end(subscription=sub, end_date=date(2024, 3, 14))
    invoice = bill(account, date(2024, 4, 1))

    assert amounts(invoice) == [("proration_credit", D("-5.33"))]  # 14/30 = 4.67 used of 10.00


def test_annual_charge_in_advance_with_a_leading_stub(operator):
    account = make_postpaid(operator)
    plan = make_plan(operator)
    add_charge(plan, amount="120.00", period="year", name="Annual fee")
    subscribe(account, plan, date(2024, 3, 10))

    invoice = bill(account, date(2024, 4, 1))

    # 10..31 March = 22 days of the year [2023-04-01, 2024-04-01) = 366 days: 120 x 22/366 = 7.2131 -> 7.21;
    # then the year from 1 April 2024 in advance.
    assert amounts(invoice) == [("recurring", D("7.21")), ("recurring", D("120.00"))]
    assert invoice.lines.order_by("position").last().period_end == date(2025, 3, 31)
    assert invoice_generate(account=account, bill_date=date(2024, 5, 1)) is None


def test_annual_charge_ended_mid_year_credits_the_unused_days(operator):
    account = make_postpaid(operator)
    plan = make_plan(operator)
    add_charge(plan, amount="120.00", period="year", name="Annual fee")
    sub = subscribe(account, plan, date(2024, 4, 1))
    assert amounts(bill(account, date(2024, 4, 1))) == [("recurring", D("120.00"))]

    subscription_end(subscription=sub, end_date=date(2024, 9, 30))
    invoice = bill(account, date(2024, 10, 1))

    # 1 April..30 September = 183 of 365 days: 120 x 183/365 = 60.1644 -> 60.16; credit 60.16 - 120.00.
    assert amounts(invoice) == [("proration_credit", D("-59.84"))]


def test_weekly_charge_on_a_weekly_cycle(operator):
    account = make_postpaid(operator, cycle=make_cycle(operator, period="week", bill_day=1))
    plan = make_plan(operator)
    add_charge(plan, amount="10.00", period="week", name="Weekly pass")
    subscribe(account, plan, date(2024, 3, 13))  # a Wednesday

    invoice = bill(account, date(2024, 3, 18))  # the next Monday

    # Wednesday..Sunday = 5 of 7 days: 10 x 5/7 = 7.142857 -> 7.14; then the week from Monday 18 March.
    assert amounts(invoice) == [("recurring", D("7.14")), ("recurring", D("10.00"))]
    assert (invoice.period_start, invoice.period_end) == (date(2024, 3, 11), date(2024, 3, 17))
    assert invoice.lines.order_by("position").last().period_end == date(2024, 3, 24)


def test_quantity_change_mid_period_credits_the_old_quantity_and_charges_the_new(operator):
    account = make_postpaid(operator)
    plan = make_plan(operator)
    add_charge(plan, amount="5.00", name="Seat")
    sub = subscribe(account, plan, date(2024, 3, 1), quantity=3)
    assert amounts(bill(account, date(2024, 3, 1))) == [("recurring", D("15.00"))]

    subscription_change_plan(subscription=sub, quantity=5, effective_date=date(2024, 3, 16))
    invoice = bill(account, date(2024, 4, 1))

    # 3 seats for 1..15 March: 15 x 15/31 = 7.2581 -> 7.26, credit 7.26 - 15.00 = -7.74;
    # 5 seats for 16..31 March: 25 x 16/31 = 12.9032 -> 12.90; April: 5 x 5.00.
    assert amounts(invoice) == [("proration_credit", D("-7.74")), ("recurring", D("12.90")), ("recurring", D("25.00"))]
    assert invoice.lines.order_by("position").last().quantity == D("5")


def test_catch_up_bills_every_period_missed_since_the_start(operator):
    account = make_postpaid(operator)
    subscribe(account, monthly_plan(operator, "10.00"), date(2024, 1, 15))

    invoice = bill(account, date(2024, 3, 1))

    # 15..31 January = 17/31 = 5.4839 -> 5.48, then February and March in full.
    assert amounts(invoice) == [("recurring", D("5.48")), ("recurring", D("10.00")), ("recurring", D("10.00"))]


def test_generating_twice_for_one_bill_date_bills_nothing_twice(operator):
    account = make_postpaid(operator)
    subscribe(account, monthly_plan(operator, "10.00"), date(2024, 3, 1))

    first = invoice_generate(account=account, bill_date=date(2024, 3, 1))
    second = invoice_generate(account=account, bill_date=date(2024, 3, 1))

    assert first is not None and second is None
    assert first.total == D("10.00")


def test_a_later_catalog_price_change_never_reprices_a_billed_period(operator):
    account = make_postpaid(operator)
    plan = monthly_plan(operator, "10.00")
    sub = subscribe(account, plan, date(2024, 3, 1))
    bill(account, date(2024, 3, 1))
    plan.charges.update(amount=D("12.00"))

    subscription_end(subscription=sub, end_date=date(2024, 3, 14))
    invoice = bill(account, date(2024, 4, 1))

    # The credit re-prorates the 10.00 billed, not the new price: 10 x 14/31 = 4.52 - 10.00.
    assert amounts(invoice) == [("proration_credit", D("-5.48"))]


def test_moving_the_bill_day_never_bills_a_day_twice(operator):
    account = make_postpaid(operator)
    subscribe(account, monthly_plan(operator, "10.00"), date(2024, 3, 1))
    bill(account, date(2024, 3, 1))  # 1..31 March
    account.billing_cycle = make_cycle(operator, bill_day=15)
    account.save()

    invoice = bill(account, date(2024, 4, 15))

    # [15 Mar, 15 Apr) is 31 days, of which 15..31 March were billed: 1..14 April = 14/31 = 4.52; then
    # the new cycle's period from 15 April in advance.
    assert amounts(invoice) == [("recurring", D("4.52")), ("recurring", D("10.00"))]
    assert invoice.lines.order_by("position").last().period_end == date(2024, 5, 14)
