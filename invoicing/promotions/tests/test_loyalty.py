"""Loyalty points: earned per currency unit paid on time (not when late), per tenure month and per
top-up, once each; kept in PTS pockets that expire; redeemed for credit at the tenant's exchange rate,
for items or for a discount."""

from __future__ import annotations

import io
import threading
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from accounts.exceptions import InsufficientFunds
from accounts.models import BillingAccount, LedgerAccount, Wallet
from accounts.services import wallet_credit
from accounts.tests.factories import main_wallet, make_account, unit
from invoicing.payments.services import payment_record_offline
from invoicing.promotions.models import LoyaltyGrant, LoyaltyRedemption
from invoicing.promotions.services import (
    invoice_paid_rewards,
    loyalty_earn_top_up,
    loyalty_redeem,
    points_balance,
    promotions_daily,
)
from invoicing.promotions.tests.factories import make_reward, make_rule, points_rate
from invoicing.tests.factories import amounts, bill, make_postpaid, monthly_plan, pay, subscribe

pytestmark = pytest.mark.django_db


def points_pockets(account: BillingAccount) -> list[tuple[D, datetime | None]]:
    return [(p.balance, p.valid_to) for p in Wallet.objects.filter(billing_account=account, unit__code="PTS")]


def system_balance(tenant, kind: str, code: str) -> D:
    return LedgerAccount.objects.get(tenant=tenant, kind=kind, unit__code=code, billing_account=None).balance


def top_up(account: BillingAccount, amount: str, when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        wallet_credit(wallet=main_wallet(account), amount=D(amount), counter_kind="cash", counter_code="card")


@pytest.fixture
def issued(operator):
    """An invoice of 24.20 issued on 1 March 2024, due on the 15th."""
    account = make_postpaid(operator)
    subscribe(account, monthly_plan(operator, "24.20"), date(2024, 3, 1))
    return bill(account, date(2024, 3, 1))


def test_an_invoice_paid_on_time_earns_points_per_currency_unit_once(
    operator, issued, django_capture_on_commit_callbacks
):
    make_rule(operator, "per_currency_paid_on_time", "1.5", expiry_days=365)

    with time_machine.travel(datetime(2024, 3, 10, 9, tzinfo=UTC)), django_capture_on_commit_callbacks(execute=True):
        pay(issued, "24.20")
    again = invoice_paid_rewards(invoice=issued, paid_on=date(2024, 3, 10))
    rerun = promotions_daily(as_of=datetime(2024, 3, 11, tzinfo=UTC))

    # 24.20 x 1.5 = 36.3 -> 36 points (rounded down), kept 365 whole days after 10 March 2024.
    assert points_pockets(issued.account) == [(D("36"), datetime(2025, 3, 11, tzinfo=UTC))]
    assert system_balance(operator, "points_liability", "PTS") == D("-36")
    grant = LoyaltyGrant.objects.get()
    assert grant.ledger_transaction.description == (
        f"per_currency_paid_on_time 1.5: invoice {issued.display_number} paid on time (2024-03-10, due 2024-03-15), "
        "24.20 EUR x 1.5"
    )
    assert (again, rerun.paid_on_time_grants) == (0, 0)


def test_an_invoice_paid_late_earns_nothing(operator, issued, django_capture_on_commit_callbacks):
    make_rule(operator, "per_currency_paid_on_time", "1")

    with time_machine.travel(datetime(2024, 3, 16, 9, tzinfo=UTC)), django_capture_on_commit_callbacks(execute=True):
        pay(issued, "24.20")
    daily = promotions_daily(as_of=datetime(2024, 3, 17, tzinfo=UTC))

    assert daily.paid_on_time_grants == 0
    assert not LoyaltyGrant.objects.exists()
    assert points_pockets(issued.account) == []


def test_the_daily_run_catches_up_a_paid_on_time_invoice_the_signal_missed(operator, issued):
    make_rule(operator, "per_currency_paid_on_time", "1")
    with time_machine.travel(datetime(2024, 3, 15, 23, tzinfo=UTC)):
        pay(issued, "24.20")  # on_commit callbacks are not run here: the signal is "lost"

    daily = promotions_daily(as_of=datetime(2024, 3, 16, 2, tzinfo=UTC))

    assert daily.paid_on_time_grants == 1
    assert points_pockets(issued.account) == [(D("24"), None)]


def test_each_completed_tenure_month_earns_once(operator):
    account = make_account(tenant=operator)
    BillingAccount.objects.filter(pk=account.pk).update(created_at=datetime(2024, 1, 31, 8, tzinfo=UTC))
    make_rule(operator, "per_tenure_month", "10")

    first = promotions_daily(as_of=datetime(2024, 4, 30, 6, tzinfo=UTC))
    rerun = promotions_daily(as_of=datetime(2024, 4, 30, 18, tzinfo=UTC))
    next_day = promotions_daily(as_of=datetime(2024, 5, 1, 6, tzinfo=UTC))

    # Months end on 29 Feb, 31 Mar and 30 Apr (day 31 falls back to the month's last day).
    assert (first.tenure_grants, rerun.tenure_grants, next_day.tenure_grants) == (3, 0, 0)
    assert list(LoyaltyGrant.objects.order_by("tenure_month").values_list("tenure_month", "reason")) == [
        (1, "per_tenure_month 10: month 1 with us (completed 2024-02-29)"),
        (2, "per_tenure_month 10: month 2 with us (completed 2024-03-31)"),
        (3, "per_tenure_month 10: month 3 with us (completed 2024-04-30)"),
    ]
    assert points_balance(account=account) == D("30")


def test_a_top_up_earns_points_per_currency_unit_once(operator):
    make_rule(operator, "per_top_up", "2")
    account = make_account(tenant=operator)
    top_up(account, "12.50", datetime(2024, 3, 1, tzinfo=UTC))

    daily = promotions_daily()
    rerun = promotions_daily()
    direct = loyalty_earn_top_up(top_up=account.ledger_accounts.get(code="main").entries.get().transaction)

    assert (daily.top_up_grants, rerun.top_up_grants, direct) == (1, 0, [])
    assert points_balance(account=account) == D("25")
    assert LoyaltyGrant.objects.get().reason == "per_top_up 2: top-up of 12.5 EUR x 2"


def test_points_expire_when_their_pocket_validity_ends(operator):
    make_rule(operator, "per_top_up", "1", expiry_days=30)
    account = make_account(tenant=operator)
    top_up(account, "40.00", datetime(2024, 3, 10, 15, tzinfo=UTC))
    with time_machine.travel(datetime(2024, 3, 10, 16, tzinfo=UTC)):
        promotions_daily()

    before = promotions_daily(as_of=datetime(2024, 4, 9, 23, 59, tzinfo=UTC))
    after = promotions_daily(as_of=datetime(2024, 4, 10, 0, 0, tzinfo=UTC))

    # Earned 10 March, kept 30 whole days after it (11 March to 9 April): gone on 10 April.
    assert (before.points_pockets_expired, after.points_pockets_expired) == (0, 1)
    assert points_pockets(account) == [(D("0"), datetime(2024, 4, 10, tzinfo=UTC))]
    assert system_balance(operator, "breakage", "PTS") == D("40")
    assert main_wallet(account).balance == D("40.00")  # money pockets are not touched by points expiry


@pytest.fixture
def points_holder(operator):
    """An account with 100 points expiring on 2 May and 200 points expiring on 1 June 2024."""
    make_rule(operator, "per_top_up", "10", expiry_days=30)
    account = make_account(tenant=operator)
    for day, amount in (
        (datetime(2024, 4, 1, 12, tzinfo=UTC), "10.00"),
        (datetime(2024, 5, 1, 8, tzinfo=UTC), "20.00"),
    ):
        top_up(account, amount, day)
        with time_machine.travel(day, tick=False):
            promotions_daily()
    return account


def test_points_are_redeemed_for_credit_at_the_exchange_rate_earliest_expiry_first(operator, points_holder):
    points_rate(operator, "0.0125")

    with time_machine.travel(datetime(2024, 5, 1, 9, tzinfo=UTC), tick=False):
        redemption = loyalty_redeem(account=points_holder, points=D("250"), idempotency_key="r1")
        replay = loyalty_redeem(account=points_holder, points=D("250"), idempotency_key="r1")

    # 250 x 0.0125 = 3.125 -> 3.12 EUR (rounded down); the pocket expiring first is emptied first.
    assert (redemption.value, redemption.exchange_rate) == (D("3.12"), D("0.0125"))
    assert replay.pk == redemption.pk
    assert main_wallet(points_holder).balance == D("30.00") + D("3.12")
    assert points_pockets(points_holder) == [
        (D("0"), datetime(2024, 5, 2, tzinfo=UTC)),
        (D("50"), datetime(2024, 6, 1, tzinfo=UTC)),
    ]
    assert redemption.value_transaction.description == "250 loyalty points redeemed for 3.12 EUR at 0.0125"


def test_redeeming_more_points_than_the_valid_pockets_hold_changes_nothing(operator, points_holder):
    points_rate(operator, "0.01")

    with time_machine.travel(datetime(2024, 5, 2, 9, tzinfo=UTC)), pytest.raises(InsufficientFunds):
        # The 100 points of the first pocket expired at midnight: only 200 are valid.
        loyalty_redeem(account=points_holder, points=D("250"))

    assert not LoyaltyRedemption.objects.exists()
    assert main_wallet(points_holder).balance == D("30.00")


def test_points_buy_items_into_a_pocket_against_points_liability(operator, points_holder):
    reward = make_reward(operator, "items", "150", name="1 GB", unit=unit("MB"), quantity=D("1024"), validity_days=7)

    with time_machine.travel(datetime(2024, 5, 1, 10, tzinfo=UTC), tick=False):
        redemption = loyalty_redeem(account=points_holder, reward=reward)

    pocket = Wallet.objects.get(billing_account=points_holder, unit__code="MB")
    assert (pocket.balance, pocket.valid_to) == (D("1024"), datetime(2024, 5, 8, 10, tzinfo=UTC))
    assert (redemption.kind, redemption.points, redemption.value) == ("items", D("150"), D("1024"))
    assert points_balance(account=points_holder, at=datetime(2024, 5, 1, 10, tzinfo=UTC)) == D("150")
    assert system_balance(operator, "points_liability", "MB") == D("-1024")


def test_points_buy_a_discount_on_the_next_invoice(operator):
    make_rule(operator, "per_top_up", "10")
    account = make_postpaid(operator)
    subscribe(account, monthly_plan(operator, "20.00"), date(2024, 5, 1))
    top_up(account, "50.00", datetime(2024, 4, 20, tzinfo=UTC))
    promotions_daily()
    reward = make_reward(operator, "discount", "300", name="Loyal 10%", discount_percent=D("10"), discount_periods=1)

    with time_machine.travel(datetime(2024, 4, 25, tzinfo=UTC)):
        redemption = loyalty_redeem(account=account, reward=reward)
    may, june = bill(account, date(2024, 5, 1)), bill(account, date(2024, 6, 1))

    assert (redemption.kind, redemption.value, redemption.value_unit) == ("discount", D("10"), None)
    assert amounts(may) == [("recurring", D("20.00")), ("discount", D("-2.00"))]
    assert amounts(june) == [("recurring", D("20.00"))]
    assert points_balance(account=account) == D("200")


def test_the_daily_command_reports_what_it_granted(operator):
    make_rule(operator, "per_top_up", "1")
    make_account(tenant=operator, balance=D("5.00"))
    out = io.StringIO()

    call_command("promotions_daily", stdout=out)

    assert out.getvalue().startswith("tenure grants: 0, top up grants: 1, paid on time grants: 0")


def test_points_come_when_the_invoice_is_fully_paid_for_the_whole_amount(
    operator, issued, django_capture_on_commit_callbacks
):
    make_rule(operator, "per_currency_paid_on_time", "1")

    with time_machine.travel(datetime(2024, 3, 5, tzinfo=UTC)), django_capture_on_commit_callbacks(execute=True):
        pay(issued, "10.00")
    after_part = points_balance(account=issued.account)
    with time_machine.travel(datetime(2024, 3, 14, tzinfo=UTC)), django_capture_on_commit_callbacks(execute=True):
        pay(issued, "14.20")

    assert (after_part, points_balance(account=issued.account)) == (D("0"), D("24"))


@pytest.mark.django_db(transaction=True)
def test_two_daily_runs_at_once_grant_each_tenure_month_once(operator):
    account = make_account(tenant=operator)
    BillingAccount.objects.filter(pk=account.pk).update(created_at=datetime(2024, 1, 15, tzinfo=UTC))
    make_rule(operator, "per_tenure_month", "5")
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        try:
            promotions_daily(as_of=datetime(2024, 4, 20, tzinfo=UTC))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert LoyaltyGrant.objects.count() == 3
    assert points_balance(account=account) == D("15")


def test_a_transfer_received_by_the_due_date_but_recorded_later_counts_as_paid_on_time(
    operator, issued, django_capture_on_commit_callbacks
):
    make_rule(operator, "per_currency_paid_on_time", "1")

    with time_machine.travel(datetime(2024, 3, 18, 9, tzinfo=UTC)), django_capture_on_commit_callbacks(execute=True):
        payment_record_offline(
            account=issued.account,
            amount=D("24.20"),
            gateway="bank_transfer",
            received_at=datetime(2024, 3, 14, 16, tzinfo=UTC),
        )

    issued.refresh_from_db()
    assert issued.status == "paid"
    assert points_balance(account=issued.account) == D("24")
    assert "paid on time (2024-03-14, due 2024-03-15)" in LoyaltyGrant.objects.get().reason
