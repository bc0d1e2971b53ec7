"""Re-rating after a tariff fix: earlier charges given back, new ones taken, the ledger balanced and showing
both; invoiced usage is left alone."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import LedgerEntry, LedgerTransaction
from accounts.models.customers import PaymentMode
from accounts.selectors import ledger_accounts_out_of_balance, unbalanced_transactions
from accounts.services import wallet_credit
from accounts.tests.factories import main_wallet, make_pocket
from rating.models import RatedUsage, TariffRateStep
from rating.services.usage.explain import rated_usage_explain
from rating.services.usage.rerate import rerate_records
from rating.tests.usage_factories import call, import_text, make_plan, make_subscriber, make_tariff

A = "353871000001"
MARCH = (datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))


@pytest.fixture
def wrong_tariff(operator):
    # Keyed in as 0.20 per minute instead of 0.10.
    return make_tariff(operator, steps=[("*", "0.20", 60, 1)])


def fix(tariff) -> None:
    for step in TariffRateStep.objects.filter(tariff=tariff):
        step.rate = Decimal("0.10")
        step.save()  # through the model: the tariff's revision moves and compiled decks are rebuilt


def balance(account) -> Decimal:
    return main_wallet(account).balance


@pytest.fixture(autouse=True)
def _ledger_stays_balanced(db):
    yield
    assert not unbalanced_transactions().exists()
    assert not ledger_accounts_out_of_balance().exists()


def test_rerating_after_a_tariff_fix_gives_back_and_takes_anew_and_the_balance_ends_right(
    operator, wrong_tariff, tmp_path
):
    account, _ = make_subscriber(operator, A, make_plan(operator, [wrong_tariff]), balance=Decimal("10.00"))
    import_text(operator, tmp_path, "a.csv", call(1) + call(2) + call(3))
    assert balance(account) == Decimal("9.40")
    fix(wrong_tariff)

    result = rerate_records(account=account, start=MARCH[0], end=MARCH[1])

    assert (result.records, result.cost_before, result.cost_after) == (3, Decimal("0.6000"), Decimal("0.3000"))
    assert balance(account) == Decimal("9.70")
    assert sorted(RatedUsage.objects.values_list("cost", "debited")) == [(Decimal("0.1000"), Decimal("0.10"))] * 3
    # The ledger shows both: the earlier charges given back, and the new ones.
    given_back, charged = LedgerTransaction.objects.filter(pk__in=result.transactions).order_by("id")
    assert given_back.kind == "reversal"
    assert charged.kind == "usage"
    wallet = main_wallet(account)
    assert LedgerEntry.objects.get(transaction=given_back, ledger_account=wallet).amount == Decimal("0.60")
    assert LedgerEntry.objects.get(transaction=charged, ledger_account=wallet).amount == Decimal("-0.30")


def test_rerating_gives_allowances_back_and_consumes_them_again(operator, wrong_tariff, tmp_path):
    account, _ = make_subscriber(operator, A, make_plan(operator, [wrong_tariff]), balance=Decimal("10.00"))
    minutes = make_pocket(account, "MIN", valid_from=datetime(2024, 1, 1, tzinfo=UTC))
    wallet_credit(
        wallet=minutes, amount=Decimal("1"), counter_kind="promotions_expense", at=datetime(2024, 2, 1, tzinfo=UTC)
    )
    import_text(operator, tmp_path, "a.csv", call(1) + call(2))
    fix(wrong_tariff)

    rerate_records(account=account, start=MARCH[0], end=MARCH[1])

    minutes.refresh_from_db()
    assert minutes.balance == Decimal("0")
    assert [(u.covered_usage, u.cost) for u in RatedUsage.objects.order_by("start")] == [
        (60, Decimal("0")), (0, Decimal("0.1000"))
    ]  # fmt: skip
    assert balance(account) == Decimal("9.90")


def test_invoiced_usage_is_not_rerated(operator, wrong_tariff, tmp_path):
    account, _ = make_subscriber(operator, A, make_plan(operator, [wrong_tariff]), mode=PaymentMode.POSTPAID)
    import_text(operator, tmp_path, "a.csv", call(1) + call(2))
    RatedUsage.objects.filter(record_key="ast:1709632800.1").update(invoice_id=99)
    fix(wrong_tariff)

    result = rerate_records(account=account, start=MARCH[0], end=MARCH[1])

    assert (result.records, result.skipped_invoiced) == (1, 1)
    costs = dict(RatedUsage.objects.values_list("record_key", "cost"))
    assert costs == {"ast:1709632800.1": Decimal("0.2000"), "ast:1709632800.2": Decimal("0.1000")}


def test_rerating_twice_changes_nothing_the_second_time(operator, wrong_tariff, tmp_path):
    account, _ = make_subscriber(operator, A, make_plan(operator, [wrong_tariff]), balance=Decimal("10.00"))
    import_text(operator, tmp_path, "a.csv", call(1))
    fix(wrong_tariff)
    rerate_records(account=account, start=MARCH[0], end=MARCH[1])

    again = rerate_records(account=account, start=MARCH[0], end=MARCH[1])

    assert (again.cost_before, again.cost_after) == (Decimal("0.1000"), Decimal("0.1000"))
    assert balance(account) == Decimal("9.90")


def test_the_rerate_command_takes_an_account_and_a_month(operator, wrong_tariff, tmp_path, capsys):
    account, _ = make_subscriber(operator, A, make_plan(operator, [wrong_tariff]), balance=Decimal("10.00"))
    import_text(operator, tmp_path, "a.csv", call(1))
    fix(wrong_tariff)
    operator.timezone = "UTC"
    operator.save()

    call_command("rerate", "--account", account.number, "--period", "2024-03")

    assert "1 records re-rated, 0.200000 -> 0.100000" in capsys.readouterr().out
    assert balance(account) == Decimal("9.90")


def test_a_rated_record_is_explained_down_to_its_steps(operator, tmp_path):
    tariff = make_tariff(operator, steps=[("34", "0.12", 60, 60, "0.05")])
    make_subscriber(operator, A, make_plan(operator, [tariff]), balance=Decimal("10.00"))
    import_text(operator, tmp_path, "a.csv", call(1, billsec=61))

    explained = rated_usage_explain(usage=RatedUsage.objects.get())

    assert explained["matches"] is True
    [part] = explained["breakdown"]["parts"]
    assert (part["prefix"], part["steps"][0]["increments"], part["steps"][0]["amount"]) == ("34", 2, "0.240000")
    assert explained["breakdown"]["connect_fee"] == "0.050000"
