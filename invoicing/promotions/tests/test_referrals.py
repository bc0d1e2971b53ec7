"""Refer-a-friend: rewarded once when the condition is met (first invoice paid, N days active), and
refused for a self-referral, the referrer's payment method, or past the referrer's monthly cap."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
import time_machine

from accounts.models import BillingAccount, LedgerAccount, LedgerTransaction
from accounts.tests.factories import main_wallet, make_account, make_customer
from invoicing.payments.models import SavedPaymentMethod
from invoicing.promotions.exceptions import ReferralRefused
from invoicing.promotions.models import Referral
from invoicing.promotions.services import promotions_daily, referral_code_for, referral_evaluate, referral_register
from invoicing.promotions.tests.factories import make_program
from invoicing.tests.factories import bill, make_postpaid, monthly_plan, pay, subscribe

pytestmark = pytest.mark.django_db


def expense(tenant) -> D:
    found = LedgerAccount.objects.filter(tenant=tenant, kind="promotions_expense", unit__code="EUR").first()
    return found.balance if found else D("0")


def refer(referrer_account: BillingAccount, friend_account: BillingAccount, **kwargs) -> Referral:
    code = referral_code_for(customer=referrer_account.customer)
    return referral_register(code=code.code.lower(), customer=friend_account.customer, **kwargs)


def first_invoice(account: BillingAccount):
    subscribe(account, monthly_plan(account.tenant, "15.00"), date(2024, 3, 1))
    return bill(account, date(2024, 3, 1))


def test_a_referral_is_rewarded_once_when_the_friends_first_invoice_is_paid(
    operator, django_capture_on_commit_callbacks
):
    make_program(operator, referrer_reward=D("10.00"), friend_reward=D("5.00"))
    referrer, friend = make_account(tenant=operator), make_postpaid(operator)
    referral = refer(referrer, friend)
    invoice = first_invoice(friend)

    before = referral_evaluate(referral=referral)
    with django_capture_on_commit_callbacks(execute=True):
        pay(invoice, "15.00")
    rerun = referral_evaluate(referral=referral)
    daily = promotions_daily()

    assert before.status == "pending"
    assert (rerun.status, rerun.rewarded_at is not None) == ("rewarded", True)
    assert (main_wallet(referrer).balance, main_wallet(friend).balance) == (D("10.00"), D("5.00"))
    assert expense(operator) == D("-15.00")
    assert LedgerTransaction.objects.filter(kind="promotion").count() == 2
    assert daily.referrals_rewarded == 0
    assert rerun.referrer_transaction.description == (
        f"Refer-a-friend reward: {friend.customer.name} ({friend.customer.number}) - The friend's first invoice is paid"
    )


def test_a_days_active_referral_waits_for_the_days_then_rewards_only_the_referrer(operator):
    make_program(operator, condition="days_active", days_active=30, referrer_reward=D("7.50"))
    referrer, friend = make_account(tenant=operator), make_account(tenant=operator)
    BillingAccount.objects.filter(pk=friend.pk).update(created_at=datetime(2024, 3, 1, 10, tzinfo=UTC))
    referral = refer(referrer, friend)

    early = promotions_daily(as_of=datetime(2024, 3, 31, 9, tzinfo=UTC))
    with time_machine.travel(datetime(2024, 3, 31, 10, tzinfo=UTC)):
        on_time = promotions_daily()
    again = promotions_daily()

    referral.refresh_from_db()
    assert (early.referrals_rewarded, on_time.referrals_rewarded, again.referrals_rewarded) == (0, 1, 0)
    assert referral.status == "rewarded"
    assert (main_wallet(referrer).balance, main_wallet(friend).balance) == (D("7.50"), D("0"))


@pytest.mark.parametrize(
    ("friend_fields", "detail"),
    [
        ({"email": "ANA@example.com"}, "same e-mail as the referrer (ANA@example.com)"),
        ({"tax_id": "12.345.678-z"}, "same tax id as the referrer (12.345.678-z)"),
    ],
)
def test_a_self_referral_is_refused_when_registered(operator, friend_fields, detail):
    make_program(operator)
    referrer = make_account(customer=make_customer(tenant=operator, email="ana@example.com", tax_id="12345678Z"))
    friend = make_account(customer=make_customer(tenant=operator, **friend_fields))

    referral = refer(referrer, friend)
    promotions_daily()

    referral.refresh_from_db()
    assert (referral.status, referral.refusal_reason, referral.refusal_detail) == ("refused", "self_referral", detail)
    assert expense(operator) == D("0")


def test_referring_oneself_with_ones_own_code_is_refused(operator):
    make_program(operator, condition="days_active", days_active=0)
    account = make_account(tenant=operator)

    referral = refer(account, account)

    assert (referral.status, referral.refusal_detail) == ("refused", "the referrer referred itself")
    assert referral_evaluate(referral=referral).status == "refused"
    assert main_wallet(account).balance == D("0")


def test_a_friend_paying_with_the_referrers_payment_method_is_refused(operator):
    make_program(operator, condition="days_active", days_active=0)
    referrer, friend = make_account(tenant=operator), make_account(tenant=operator)
    referral_code_for(customer=referrer.customer, payment_fingerprint="card:4242:ab12")

    referral = referral_evaluate(referral=refer(referrer, friend, payment_fingerprint="card:4242:ab12"))

    assert (referral.status, referral.refusal_reason) == ("refused", "same_payment_method")
    assert expense(operator) == D("0")


def test_a_friend_who_saved_the_referrers_card_is_refused(operator):
    make_program(operator, condition="days_active", days_active=0)
    referrer, friend = make_account(tenant=operator), make_account(tenant=operator)
    for n, account in enumerate((referrer, friend)):
        SavedPaymentMethod.objects.create(
            account=account, stripe_id=f"pm_{n}", brand="Visa", last4="4242", exp_month=12, exp_year=2030
        )

    referral = referral_evaluate(referral=refer(referrer, friend))

    assert (referral.status, referral.refusal_reason) == ("refused", "same_payment_method")
    assert "card:visa:4242:12/2030" in referral.refusal_detail


def test_the_monthly_cap_refuses_the_referrers_third_reward_of_the_month(operator):
    make_program(operator, condition="days_active", days_active=0, monthly_cap=2, referrer_reward=D("10.00"))
    with time_machine.travel(datetime(2024, 3, 1, 12, tzinfo=UTC)):
        referrer = make_account(tenant=operator)
        friends = [make_account(tenant=operator) for _ in range(4)]

    with time_machine.travel(datetime(2024, 3, 30, 12, tzinfo=UTC)):
        march = [referral_evaluate(referral=refer(referrer, friend)) for friend in friends[:3]]
    with time_machine.travel(datetime(2024, 4, 1, 12, tzinfo=UTC)):
        april = referral_evaluate(referral=refer(referrer, friends[3]))

    assert [r.status for r in march] == ["rewarded", "rewarded", "refused"]
    assert march[2].refusal_reason == "monthly_cap"
    assert april.status == "rewarded"
    assert main_wallet(referrer).balance == D("30.00")


def test_registration_refuses_unknown_codes_repeat_referrals_and_customers_already_invoiced(operator):
    make_program(operator)
    referrer, friend, invoiced = make_account(tenant=operator), make_postpaid(operator), make_postpaid(operator)
    first_invoice(invoiced)
    refer(referrer, friend)

    with pytest.raises(ReferralRefused) as unknown:
        referral_register(code="NOSUCHCODE", customer=make_customer(tenant=operator))
    with pytest.raises(ReferralRefused) as repeat:
        refer(make_account(tenant=operator), friend)
    with pytest.raises(ReferralRefused) as not_new:
        refer(referrer, invoiced)

    assert (unknown.value.code, repeat.value.code, not_new.value.code) == (
        "referral_unknown",
        "referral_exists",
        "referral_not_new",
    )
    assert Referral.objects.count() == 1


def test_a_customer_keeps_one_referral_code(operator):
    customer = make_customer(tenant=operator)

    first, second = referral_code_for(customer=customer), referral_code_for(customer=customer)

    assert first.pk == second.pk and len(first.code) == 8
    assert first.created_at <= datetime.now(UTC) + timedelta(seconds=1)
