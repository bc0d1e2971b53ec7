"""Back office: promotions and rules scoped to the tenant tree, grants read-only, referrals evaluated by action."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.test import Client

from accounts.tests.factories import main_wallet, make_account, make_staff
from invoicing.promotions.services import promotion_redeem, referral_code_for, referral_register
from invoicing.promotions.tests.factories import make_program, make_promotion

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_promotions_page_opens_for_tenant_staff(reseller_a, reseller_a_staff):
    promotion = make_promotion(reseller_a, code="OPEN", credit_amount=D("1.00"))
    promotion_redeem(code="OPEN", account=make_account(tenant=reseller_a))
    client = logged_in(reseller_a_staff)

    pages = [f"/admin/promotions/{model}/" for model in (
        "promotion", "promotionredemption", "loyaltyrule", "loyaltyreward", "loyaltygrant", "loyaltyredemption",
        "referralprogram", "referralcode", "referral",
    )]  # fmt: skip
    pages += [f"/admin/promotions/promotion/{promotion.pk}/change/", "/admin/promotions/promotion/add/"]

    assert {page: client.get(page).status_code for page in pages} == dict.fromkeys(pages, 200)
    assert b"OPEN" in client.get("/admin/promotions/promotionredemption/").content


def test_another_resellers_promotion_is_a_404_and_absent_from_the_list(reseller_a, reseller_b):
    promotion = make_promotion(reseller_a, code="SECRET", credit_amount=D("1.00"))
    outsider = logged_in(make_staff(tenant=reseller_b))

    assert outsider.get(f"/admin/promotions/promotion/{promotion.pk}/change/").status_code == 404
    assert b"SECRET" not in outsider.get("/admin/promotions/promotion/").content


def test_the_evaluate_action_rewards_a_referral_whose_condition_is_met(operator, operator_staff):
    make_program(operator, condition="days_active", days_active=0, referrer_reward=D("4.00"))
    referrer, friend = make_account(tenant=operator), make_account(tenant=operator)
    referral = referral_register(code=referral_code_for(customer=referrer.customer).code, customer=friend.customer)

    logged_in(operator_staff).post(
        "/admin/promotions/referral/", {"action": "evaluate_selected", "_selected_action": [referral.pk]}
    )

    referral.refresh_from_db()
    assert referral.status == "rewarded"
    assert main_wallet(referrer).balance == D("4.00")
