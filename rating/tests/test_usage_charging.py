"""Allowances consumed across records, prepaid pockets debited (and running out), postpaid usage accrued,
barred accounts and missing tariffs rejected - with the ledger balanced after every import."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from accounts.models import LedgerTransaction
from accounts.models.customers import AccountStatus, PaymentMode
from accounts.selectors import ledger_accounts_out_of_balance, unbalanced_transactions
from accounts.services import wallet_credit
from accounts.tests.factories import main_wallet, make_pocket
from rating.models import RatedUsage, RejectedRecord, RejectReason
from rating.tests.usage_factories import call, import_text, make_plan, make_subscriber, make_tariff

A = "353871000001"
VALID_FROM = datetime(2024, 1, 1, tzinfo=UTC)
VALID_TO = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def plan(operator):
    return make_plan(operator, [make_tariff(operator)])  # 0.10 per minute, per second


def bundle(account, code: str, amount: str, **kwargs):
    pocket = make_pocket(account, code, valid_from=VALID_FROM, valid_to=kwargs.pop("valid_to", VALID_TO), **kwargs)
    wallet_credit(wallet=pocket, amount=Decimal(amount), counter_kind="promotions_expense", at=VALID_FROM)
    pocket.refresh_from_db()
    return pocket


def refreshed(pocket):
    pocket.refresh_from_db()
    return pocket.balance


def rated(n: int) -> RatedUsage:
    return RatedUsage.objects.get(record_key=f"ast:1709632800.{n}")


@pytest.fixture(autouse=True)
def _ledger_stays_balanced(db):
    yield
    assert not unbalanced_transactions().exists()
    assert not ledger_accounts_out_of_balance().exists()


def test_a_minutes_bundle_is_consumed_across_records_and_then_the_tariff_applies(operator, plan, tmp_path):
    account, _ = make_subscriber(operator, A, plan, balance=Decimal("5.00"))
    minutes = bundle(account, "MIN", "2")

    import_text(operator, tmp_path, "a.csv", call(1, billsec=60) + call(2, billsec=50) + call(3, billsec=60))

    assert [(rated(n).covered_usage, rated(n).charged_usage, rated(n).cost) for n in (1, 2, 3)] == [
        (60, 0, Decimal("0")), (50, 0, Decimal("0")), (0, 60, Decimal("0.1000")),
    ]  # fmt: skip
    assert rated(2).breakdown == {"allowances": [{"pocket": minutes.pk, "used": 50, "taken": "1"}]}
    assert refreshed(minutes) == Decimal("0")  # 50 s take a whole minute
    assert refreshed(main_wallet(account)) == Decimal("4.90")


def test_a_record_that_exhausts_one_pocket_continues_on_the_next_and_the_rest_is_priced(operator, plan, tmp_path):
    account, _ = make_subscriber(operator, A, plan, balance=Decimal("5.00"))
    soon = bundle(account, "SEC", "30", priority=1, valid_to=datetime(2025, 1, 1, tzinfo=UTC))
    later = bundle(account, "MIN", "1", priority=5)

    import_text(operator, tmp_path, "a.csv", call(1, billsec=120))

    row = rated(1)
    assert (row.covered_usage, row.charged_usage, row.cost, row.debited) == (90, 30, Decimal("0.0500"), Decimal("0.05"))
    assert row.breakdown == {"allowances": [
        {"pocket": soon.pk, "used": 30, "taken": "30"}, {"pocket": later.pk, "used": 60, "taken": "1"},
    ]}  # fmt: skip
    assert (refreshed(soon), refreshed(later)) == (Decimal("0"), Decimal("0"))
    assert refreshed(main_wallet(account)) == Decimal("4.95")


def test_a_prepaid_account_running_out_rates_every_record_flags_and_debits_what_is_left(operator, plan, tmp_path):
    account, _ = make_subscriber(operator, A, plan, balance=Decimal("0.15"))

    usage_file = import_text(operator, tmp_path, "a.csv", call(1) + call(2) + call(3))

    assert usage_file.rated == 3
    rows = [rated(n) for n in (1, 2, 3)]
    assert [(r.cost, r.debited, r.flagged) for r in rows] == [
        (Decimal("0.1000"), Decimal("0.10"), ""),
        (Decimal("0.1000"), Decimal("0.05"), "insufficient_balance"),
        (Decimal("0.1000"), Decimal("0"), "insufficient_balance"),
    ]
    assert all(r.prepaid for r in rows)
    assert refreshed(main_wallet(account)) == Decimal("0")  # never below the prepaid floor


def test_one_ledger_transaction_per_account_per_chunk(operator, plan, tmp_path):
    account, _ = make_subscriber(operator, A, plan, balance=Decimal("5.00"))
    before = LedgerTransaction.objects.filter(kind="usage").count()

    import_text(operator, tmp_path, "a.csv", call(1) + call(2) + call(3) + call(4), chunk_size=2)

    usage = LedgerTransaction.objects.filter(kind="usage")
    assert usage.count() - before == 2
    assert [e.amount for e in main_wallet(account).entries.filter(transaction__kind="usage").order_by("id")] == [
        Decimal("-0.20"), Decimal("-0.20")
    ]  # fmt: skip


def test_postpaid_usage_is_accrued_unbilled_without_touching_the_ledger(operator, plan, tmp_path):
    account, _ = make_subscriber(operator, A, plan, mode=PaymentMode.POSTPAID)
    transactions = LedgerTransaction.objects.count()

    import_text(operator, tmp_path, "a.csv", call(1, billsec=90) + call(2, billsec=30))

    unbilled = RatedUsage.objects.filter(account=account, invoice_id__isnull=True)
    assert sorted(unbilled.values_list("cost", flat=True)) == [Decimal("0.0500"), Decimal("0.1500")]
    assert not unbilled.filter(prepaid=True).exists()
    assert LedgerTransaction.objects.count() == transactions
    assert refreshed(main_wallet(account)) == Decimal("0")


def test_a_hybrid_account_pays_down_to_its_credit_limit(operator, plan, tmp_path):
    account, _ = make_subscriber(operator, A, plan, mode=PaymentMode.HYBRID, credit_limit=Decimal("0.15"))

    import_text(operator, tmp_path, "a.csv", call(1) + call(2))

    assert [(rated(n).debited, rated(n).flagged) for n in (1, 2)] == [
        (Decimal("0.10"), ""), (Decimal("0.05"), "insufficient_balance")
    ]  # fmt: skip
    assert refreshed(main_wallet(account)) == Decimal("-0.15")


def test_a_suspended_account_is_rejected_as_barred(operator, plan, tmp_path):
    account, _ = make_subscriber(operator, A, plan, balance=Decimal("5.00"))
    account.status = AccountStatus.SUSPENDED
    account.save()

    usage_file = import_text(operator, tmp_path, "a.csv", call(1))

    assert usage_file.rejected == 1
    assert RejectedRecord.objects.get().reason == RejectReason.ACCOUNT_BARRED


def test_a_subscription_without_a_tariff_for_the_service_is_rejected_no_tariff(operator, tmp_path):
    make_subscriber(
        operator, A, make_plan(operator, [make_tariff(operator, service="sms", steps=[("*", "0.05", 1, 1)])])
    )
    make_subscriber(operator, "353871000002", None)

    usage_file = import_text(operator, tmp_path, "a.csv", call(1) + call(2, src="353871000002"))

    assert usage_file.rejected == 2
    assert set(RejectedRecord.objects.values_list("reason", flat=True)) == {RejectReason.NO_TARIFF}


def test_a_rated_record_keeps_what_produced_its_price(operator, tmp_path):
    tariff = make_tariff(operator, steps=[("34", "0.12", 60, 60, "0.05"), ("*", "0.90", 60, 1)], decimals=4)
    make_subscriber(operator, A, make_plan(operator, [tariff]), balance=Decimal("5.00"))

    import_text(operator, tmp_path, "a.csv", call(1, billsec=61))

    row = rated(1)
    # 61 s in 60 s increments = 2 minutes at 0.12 + a 0.05 connect fee
    assert (row.cost, row.tariff, row.prefix, row.rate_step) == (Decimal("0.2900"), tariff, "34", 0)
    assert row.tariff_version == datetime(2024, 1, 1, tzinfo=UTC)
    assert row.usage_file is not None
