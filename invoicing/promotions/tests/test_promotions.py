"""Promo codes: a discount for N invoices, free units into an item pocket, credit into the money
pocket; validity, eligibility, and the per-customer and total limits (also under concurrency)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
import time_machine
from django.db import connection

from accounts.exceptions import BillingError
from accounts.models import Customer, LedgerAccount, LedgerTransaction
from accounts.tests.factories import main_wallet, make_account, make_customer, unit
from invoicing.promotions.exceptions import PromotionRefused
from invoicing.promotions.models import Promotion, PromotionRedemption
from invoicing.promotions.services import promotion_campaign_run, promotion_redeem
from invoicing.promotions.tests.factories import make_promotion
from invoicing.tests.factories import amounts, bill, make_postpaid, monthly_plan, subscribe

pytestmark = pytest.mark.django_db
NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)


def system_balance(tenant, kind: str, code: str) -> D:
    return LedgerAccount.objects.get(tenant=tenant, kind=kind, unit__code=code, billing_account=None).balance


def test_a_20_percent_code_for_3_periods_discounts_3_invoices_and_not_the_4th(operator):
    account = make_postpaid(operator)
    subscribe(account, monthly_plan(operator, "10.00"), date(2024, 1, 1))
    make_promotion(operator, kind="discount", code="spring20", name="Spring", discount_percent=D("20"),
                   discount_periods=3)  # fmt: skip

    with time_machine.travel(datetime(2024, 1, 1, 9, tzinfo=UTC), tick=False):
        redemption = promotion_redeem(code="SPRING20", account=account)
    invoices = [bill(account, date(2024, month, 1)) for month in (1, 2, 3, 4)]

    assert [amounts(invoice) for invoice in invoices] == [
        [("recurring", D("10.00")), ("discount", D("-2.00"))],
        [("recurring", D("10.00")), ("discount", D("-2.00"))],
        [("recurring", D("10.00")), ("discount", D("-2.00"))],
        [("recurring", D("10.00"))],
    ]
    line = invoices[0].lines.get(kind="discount")
    assert line.description == "Spring (SPRING20) (20%, invoice 1 of 3)"
    assert line.explanation["granted_by"] == f"promotion-redemption:{redemption.pk}"


def test_free_5_gb_for_30_days_go_into_a_new_mb_pocket_with_its_validity(operator):
    account = make_account(tenant=operator)
    make_promotion(operator, kind="free_units", code="DATA5", name="5 GB free", unit=unit("MB"),
                   quantity=D("5120"), validity_days=30)  # fmt: skip

    with time_machine.travel(NOW, tick=False):
        redemption = promotion_redeem(code="data5", account=account)

    pocket = LedgerAccount.objects.get(pk=redemption.pocket_id)
    assert (pocket.unit.code, pocket.balance) == ("MB", D("5120"))
    assert (pocket.valid_from, pocket.valid_to) == (NOW, datetime(2024, 4, 9, 12, 0, tzinfo=UTC))
    assert system_balance(operator, "promotions_expense", "MB") == D("-5120")
    txn = redemption.ledger_transaction
    assert (txn.kind, txn.description) == (
        "promotion",
        f"Promotion DATA5 (5 GB free) redeemed by {account.number}: 5120.000 MB for 30 days",
    )


def test_a_credit_code_credits_the_main_money_pocket_against_promotions_expense(operator):
    account = make_account(tenant=operator, balance=D("3.00"))
    make_promotion(operator, code="WELCOME10", credit_amount=D("10.00"))

    redemption = promotion_redeem(code="welcome10", account=account)

    assert main_wallet(account).balance == D("13.00")
    assert system_balance(operator, "promotions_expense", "EUR") == D("-10.00")
    assert redemption.ledger_transaction.reference == f"promotion-redemption:{redemption.pk}"


def test_per_customer_limit_counts_every_account_of_the_customer(operator):
    customer = make_customer(tenant=operator)
    first, second = make_account(customer=customer), make_account(customer=customer)
    make_promotion(operator, code="TWICE", credit_amount=D("1.00"), per_customer_limit=2)

    promotion_redeem(code="TWICE", account=first)
    promotion_redeem(code="TWICE", account=second)
    with pytest.raises(PromotionRefused, match="2 time") as refused:
        promotion_redeem(code="TWICE", account=first)

    assert refused.value.code == "promotion_limit_reached"
    assert list(PromotionRedemption.objects.order_by("number").values_list("number", flat=True)) == [1, 2]
    assert main_wallet(first).balance + main_wallet(second).balance == D("2.00")


def test_total_limit_refuses_the_redemption_after_the_last_one(operator):
    promotion = make_promotion(operator, code="FIRST2", credit_amount=D("5.00"), total_limit=2)
    accounts = [make_account(tenant=operator) for _ in range(3)]

    promotion_redeem(code="FIRST2", account=accounts[0])
    promotion_redeem(code="FIRST2", account=accounts[1])
    with pytest.raises(PromotionRefused, match="as often as it can"):
        promotion_redeem(code="FIRST2", account=accounts[2])

    promotion.refresh_from_db()
    assert promotion.redemptions_count == 2
    assert main_wallet(accounts[2]).balance == D("0")


@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_never_pass_the_total_limit(operator):
    promotion = make_promotion(operator, code="RUSH", credit_amount=D("5.00"), total_limit=3)
    accounts = [make_account(tenant=operator) for _ in range(8)]
    outcomes: list[str] = []
    start = threading.Barrier(len(accounts))

    def redeem(account) -> None:
        start.wait()
        try:
            promotion_redeem(code="RUSH", account=account)
            outcomes.append("ok")
        except BillingError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem, args=(account,)) for account in accounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    promotion.refresh_from_db()
    assert sorted(outcomes) == ["ok"] * 3 + ["promotion_sold_out"] * 5
    assert promotion.redemptions_count == PromotionRedemption.objects.count() == 3
    assert LedgerTransaction.objects.filter(kind="promotion").count() == 3
    assert system_balance(operator, "promotions_expense", "EUR") == D("-15.00")


def test_validity_window_and_unknown_codes_are_refused(operator):
    account = make_account(tenant=operator)
    make_promotion(operator, code="SUMMER", credit_amount=D("1.00"), valid_from=datetime(2024, 6, 1, tzinfo=UTC),
                   valid_to=datetime(2024, 9, 1, tzinfo=UTC))  # fmt: skip

    with time_machine.travel(datetime(2024, 5, 31, tzinfo=UTC)), pytest.raises(PromotionRefused, match="not valid"):
        promotion_redeem(code="SUMMER", account=account)
    with time_machine.travel(datetime(2024, 9, 1, tzinfo=UTC)), pytest.raises(PromotionRefused, match="expired"):
        promotion_redeem(code="SUMMER", account=account)
    with pytest.raises(PromotionRefused) as unknown:
        promotion_redeem(code="NOPE", account=account)
    with time_machine.travel(datetime(2024, 7, 1, tzinfo=UTC)):
        promotion_redeem(code="SUMMER", account=account)

    assert unknown.value.code == "promotion_unknown"
    assert main_wallet(account).balance == D("1.00")


def test_eligibility_new_customers_segment_and_product(operator):
    veteran = make_account(tenant=operator)
    Customer.objects.filter(pk=veteran.customer_id).update(created_at=datetime.now(UTC) - timedelta(days=31))
    newcomer = make_account(tenant=operator)
    business = make_account(customer=make_customer(tenant=operator, segment="business"))
    plan = monthly_plan(operator, "30.00", name="Fibre")
    fibre_customer = make_postpaid(operator)
    subscribe(fibre_customer, plan, date(2024, 1, 1))
    make_promotion(operator, code="NEW", credit_amount=D("1.00"), new_customers_only=True)
    make_promotion(operator, code="BIZ", credit_amount=D("1.00"), segment="business")
    make_promotion(operator, code="FIBRE", credit_amount=D("1.00"), product=plan.product)

    with pytest.raises(PromotionRefused, match="joined in the last 30 days"):
        promotion_redeem(code="NEW", account=veteran)
    with pytest.raises(PromotionRefused, match="for business customers"):
        promotion_redeem(code="BIZ", account=newcomer)
    with pytest.raises(PromotionRefused, match="needs a subscription to Fibre"):
        promotion_redeem(code="FIBRE", account=newcomer)
    promotion_redeem(code="NEW", account=newcomer)
    promotion_redeem(code="BIZ", account=business)
    promotion_redeem(code="FIBRE", account=fibre_customer)

    assert PromotionRedemption.objects.count() == 3


def test_a_resellers_customer_redeems_the_operators_code_but_not_another_resellers(operator, reseller_a, reseller_b):
    account = make_account(tenant=reseller_a)
    make_promotion(operator, code="ALL", credit_amount=D("2.00"))
    make_promotion(reseller_b, code="BONLY", credit_amount=D("2.00"))

    promotion_redeem(code="ALL", account=account)
    with pytest.raises(PromotionRefused, match="No promotion has the code BONLY"):
        promotion_redeem(code="BONLY", account=account)

    # The reseller's own books carry the credit: its pocket and its promotions expense.
    assert main_wallet(account).balance == D("2.00")
    assert system_balance(reseller_a, "promotions_expense", "EUR") == D("-2.00")


def test_a_discount_code_is_refused_on_a_prepaid_account_and_grants_nothing(operator):
    account = make_account(tenant=operator)
    promotion = make_promotion(operator, kind="discount", code="OFF", discount_percent=D("10"))

    with pytest.raises(PromotionRefused, match="prepaid"):
        promotion_redeem(code="OFF", account=account)

    assert not Promotion.objects.filter(pk=promotion.pk, redemptions_count__gt=0).exists()
    assert not PromotionRedemption.objects.exists()


def test_a_campaign_grants_every_eligible_customer_once_until_the_total_limit(operator, reseller_a):
    business = [make_customer(tenant=tenant, segment="business") for tenant in (operator, reseller_a, operator)]
    accounts = [make_account(customer=customer) for customer in business]
    make_account(customer=business[0])  # a second account of the first customer gets nothing more
    make_account(tenant=operator)  # not in the segment
    promotion = make_promotion(operator, code="B2B", credit_amount=D("20.00"), segment="business", total_limit=2)

    first = promotion_campaign_run(promotion=promotion)
    promotion.total_limit = 5
    promotion.save()
    second = promotion_campaign_run(promotion=promotion)
    third = promotion_campaign_run(promotion=promotion)

    assert (first.granted, first.refused) == (2, {"promotion_sold_out": 1})
    assert (second.granted, second.refused, third.granted) == (1, {}, 0)
    assert [main_wallet(account).balance for account in accounts] == [D("20.00")] * 3
    first_grant = PromotionRedemption.objects.get(account=accounts[0]).ledger_transaction
    assert first_grant.description == f"Promotion B2B ({promotion.name}) granted by campaign to {accounts[0].number}"
