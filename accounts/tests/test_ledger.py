"""The ledger's rules: balanced, append-only, floors, idempotency, priorities, exchange, expiry, reversal."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.exceptions import IdempotencyConflict, InsufficientFunds, LedgerImbalance, NoExchangeRate
from accounts.models import ExchangeRate, LedgerEntry, LedgerTransaction
from accounts.models.customers import PaymentMode
from accounts.selectors import ledger_accounts_out_of_balance, trial_balance, unbalanced_transactions
from accounts.services import (
    Leg,
    ledger_post,
    ledger_system_account,
    ledger_transaction_reverse,
    pocket_transfer,
    pockets_expire,
    wallet_credit,
    wallet_debit,
    wallets_consume,
)
from accounts.tests.factories import main_wallet, make_account, make_pocket, unit

pytestmark = pytest.mark.django_db


def assert_ledger_consistent() -> None:
    assert not unbalanced_transactions().exists()
    assert not ledger_accounts_out_of_balance().exists()


def test_credit_then_debit_leaves_exact_balance_and_balanced_entries(operator):
    account = make_account(tenant=operator, mode=PaymentMode.PREPAID)
    wallet = main_wallet(account)

    wallet_credit(wallet=wallet, amount=Decimal("20.00"), counter_kind="cash", counter_code="stripe")
    wallet_debit(wallet=wallet, amount=Decimal("7.123456"))

    wallet.refresh_from_db()
    assert wallet.balance == Decimal("12.876544")
    assert [e.balance_after for e in wallet.entries.order_by("id")] == [Decimal("20.00"), Decimal("12.876544")]
    assert_ledger_consistent()


def test_prepaid_debit_beyond_balance_is_refused_and_changes_nothing(operator):
    account = make_account(tenant=operator, mode=PaymentMode.PREPAID, balance=Decimal("5.00"))
    wallet = main_wallet(account)
    entries_before = LedgerEntry.objects.count()

    with pytest.raises(InsufficientFunds, match="below its floor"):
        wallet_debit(wallet=wallet, amount=Decimal("5.01"))

    wallet.refresh_from_db()
    assert wallet.balance == Decimal("5.00")
    assert LedgerEntry.objects.count() == entries_before


def test_postpaid_debit_may_reach_minus_credit_limit_but_not_beyond(operator):
    account = make_account(tenant=operator, mode=PaymentMode.POSTPAID, credit_limit=Decimal("100"))
    wallet = main_wallet(account)

    wallet_debit(wallet=wallet, amount=Decimal("100.00"))
    with pytest.raises(InsufficientFunds):
        wallet_debit(wallet=wallet, amount=Decimal("0.01"))

    wallet.refresh_from_db()
    assert wallet.balance == Decimal("-100.00")


def test_item_pocket_of_postpaid_account_never_goes_negative(operator):
    account = make_account(tenant=operator, mode=PaymentMode.HYBRID, credit_limit=Decimal("50"))
    minutes = make_pocket(account, "MIN")
    wallet_credit(wallet=minutes, amount=Decimal("10"))

    with pytest.raises(InsufficientFunds):
        wallet_debit(wallet=minutes, amount=Decimal("11"))


def test_replayed_idempotency_key_posts_once(operator):
    wallet = main_wallet(make_account(tenant=operator))

    first = wallet_credit(wallet=wallet, amount=Decimal("10"), idempotency_key="topup-1")
    second = wallet_credit(wallet=wallet, amount=Decimal("10"), idempotency_key="topup-1")

    wallet.refresh_from_db()
    assert first.pk == second.pk
    assert wallet.balance == Decimal("10")
    assert wallet.entries.count() == 1


def test_idempotency_key_reused_for_another_movement_is_a_conflict(operator):
    account = make_account(tenant=operator)
    wallet = main_wallet(account)
    wallet_credit(wallet=wallet, amount=Decimal("10"), idempotency_key="k1")
    other = ledger_system_account(tenant=operator, kind="adjustments", unit=unit("EUR"), code="other")

    with pytest.raises(IdempotencyConflict):
        ledger_post(
            tenant=operator,
            kind="adjustment",
            legs=[Leg(wallet, Decimal("1"), "k1"), Leg(other, Decimal("-1"), "k-new")],
        )


def test_unbalanced_legs_are_refused_by_the_service(operator):
    wallet = main_wallet(make_account(tenant=operator))
    cash = ledger_system_account(tenant=operator, kind="cash", unit=unit("EUR"))

    with pytest.raises(LedgerImbalance):
        ledger_post(tenant=operator, kind="adjustment", legs=[Leg(wallet, Decimal("1")), Leg(cash, Decimal("-0.99"))])


@pytest.mark.django_db(transaction=True)
def test_database_refuses_to_commit_an_unbalanced_transaction(operator):
    wallet = main_wallet(make_account(tenant=operator))
    # Bypass the service: the deferred trigger must stop the commit.
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        txn = LedgerTransaction.objects.create(tenant=operator, kind="adjustment")
        LedgerEntry.objects.create(
            transaction=txn, ledger_account=wallet, unit=wallet.unit, amount=Decimal("5"), balance_after=5
        )
    assert LedgerEntry.objects.count() == 0


def test_ledger_entries_are_append_only(operator):
    wallet = main_wallet(make_account(tenant=operator, balance=Decimal("3")))
    entry = wallet.entries.get()

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_ledgerentry SET amount = 4 WHERE id = %s", [entry.pk])
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).delete()


def test_consumption_takes_lowest_priority_then_earliest_expiry_first(operator):
    now = timezone.now()
    account = make_account(tenant=operator, mode=PaymentMode.PREPAID)
    late = make_pocket(account, "MIN", valid_to=now + timedelta(days=30), priority=10)
    early = make_pocket(account, "MIN", valid_to=now + timedelta(days=5), priority=10)
    bonus = make_pocket(account, "MIN", priority=1)
    for pocket, amount in ((late, "100"), (early, "50"), (bonus, "20")):
        wallet_credit(wallet=pocket, amount=Decimal(amount))

    result = wallets_consume(account=account, unit=unit("MIN"), amount=Decimal("90"))

    assert result.taken == [(bonus.pk, Decimal("20")), (early.pk, Decimal("50")), (late.pk, Decimal("20"))]
    late.refresh_from_db()
    assert late.balance == Decimal("80")
    assert_ledger_consistent()


def test_consumption_skips_expired_pockets_and_reports_shortfall_when_partial(operator):
    now = timezone.now()
    account = make_account(tenant=operator)
    expired = make_pocket(account, "SMS", valid_from=now - timedelta(days=10), valid_to=now + timedelta(days=1))
    wallet_credit(wallet=expired, amount=Decimal("5"), at=now - timedelta(days=1))

    result = wallets_consume(
        account=account, unit=unit("SMS"), amount=Decimal("3"), allow_partial=True, at=now + timedelta(days=2)
    )

    assert result.taken == [] and result.shortfall == Decimal("3")
    with pytest.raises(InsufficientFunds):
        wallets_consume(account=account, unit=unit("SMS"), amount=Decimal("3"), at=now + timedelta(days=2))


def test_transfer_between_pockets_converts_at_the_exchange_rate_and_balances_each_unit(operator):
    account = make_account(tenant=operator)
    points = make_pocket(account, "PTS")
    wallet_credit(wallet=points, amount=Decimal("1050"))
    ExchangeRate.objects.create(
        tenant=operator, from_unit=unit("PTS"), to_unit=unit("EUR"), rate=Decimal("0.01"), source="loyalty policy"
    )

    pocket_transfer(source=points, target=main_wallet(account), amount=Decimal("1050"))

    assert main_wallet(account).balance == Decimal("10.50")
    points.refresh_from_db()
    assert points.balance == Decimal("0")
    assert_ledger_consistent()


def test_transfer_without_exchange_rate_is_refused(operator):
    account = make_account(tenant=operator)
    points = make_pocket(account, "PTS")
    wallet_credit(wallet=points, amount=Decimal("10"))

    with pytest.raises(NoExchangeRate):
        pocket_transfer(source=points, target=main_wallet(account), amount=Decimal("10"))


def test_expiry_moves_the_rest_to_breakage_once(operator):
    now = timezone.now()
    account = make_account(tenant=operator)
    data = make_pocket(account, "MB", valid_from=now - timedelta(days=31), valid_to=now - timedelta(days=1))
    wallet_credit(wallet=data, amount=Decimal("1234.567"), at=now - timedelta(days=2))

    assert pockets_expire(as_of=now) == 1
    assert pockets_expire(as_of=now) == 0

    data.refresh_from_db()
    breakage = ledger_system_account(tenant=operator, kind="breakage", unit=unit("MB"))
    assert data.balance == Decimal("0")
    assert breakage.balance == Decimal("1234.567")
    assert_ledger_consistent()


def test_reversal_mirrors_the_transaction_once(operator):
    wallet = main_wallet(make_account(tenant=operator))
    txn = wallet_credit(wallet=wallet, amount=Decimal("9.99"))

    reversal = ledger_transaction_reverse(txn=txn, reason="keyed twice")
    again = ledger_transaction_reverse(txn=txn, reason="keyed twice")

    wallet.refresh_from_db()
    assert reversal.pk == again.pk
    assert wallet.balance == Decimal("0")
    assert_ledger_consistent()


def test_trial_balance_debits_equal_credits_per_unit(operator, reseller_a):
    for tenant in (operator, reseller_a):
        wallet = main_wallet(make_account(tenant=tenant, mode=PaymentMode.POSTPAID, credit_limit=Decimal("50")))
        wallet_credit(wallet=wallet, amount=Decimal("30.00"), counter_kind="cash", counter_code="bank")
        wallet_debit(wallet=wallet, amount=Decimal("45.50"), counter_kind="revenue_usage")

    rows = trial_balance(tenant=operator)

    assert sum(r.debit for r in rows) == sum(r.credit for r in rows) == Decimal("151.00")
    usage = [r for r in rows if r.kind == "revenue_usage"]
    assert usage[0].credit == Decimal("91.00")
    only_reseller = trial_balance(tenant=reseller_a)
    assert sum(r.credit for r in only_reseller) == Decimal("75.50")
