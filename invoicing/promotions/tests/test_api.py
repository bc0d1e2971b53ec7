"""The promotions API: configuration CRUD, redeeming behind Idempotency-Key, tenant isolation."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import main_wallet, make_account, make_staff
from invoicing.promotions.models import Promotion, PromotionRedemption, Referral
from invoicing.promotions.services import promotions_daily
from invoicing.promotions.tests.factories import make_program, make_promotion, make_rule, points_rate

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def post(client: APIClient, url: str, body: dict, key: str | None = None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(url, body, format="json", **headers)


def test_staff_create_a_promotion_for_their_tenant_and_invalid_ones_are_refused(reseller_a, reseller_a_staff):
    client = client_for(reseller_a_staff)
    body = {"code": "hello", "name": "Hello", "kind": "credit", "currency": "EUR", "credit_amount": "5.00"}

    created = post(client, "/api/v1/promotions/", body)
    duplicate = post(client, "/api/v1/promotions/", body)
    invalid = post(client, "/api/v1/promotions/", {**body, "code": "OTHER", "credit_amount": None})

    assert created.status_code == 201, created.json()
    assert (created.json()["code"], created.json()["tenant"], created.json()["credit_amount"]) == (
        "HELLO",
        reseller_a.pk,
        "5.00",
    )
    assert (duplicate.status_code, list(duplicate.json())) == (400, ["code"])
    assert (invalid.status_code, list(invalid.json())) == (400, ["credit_amount"])
    assert client.delete(f"/api/v1/promotions/{created.json()['id']}/").status_code == 405


def test_redeem_grants_once_per_idempotency_key_and_then_hits_the_limit(operator, reseller_a, reseller_a_staff):
    make_promotion(operator, code="WELCOME", credit_amount=D("10.00"))
    account = make_account(tenant=reseller_a)
    client = client_for(reseller_a_staff)
    body = {"code": "welcome", "account": str(account.uuid)}

    first = post(client, "/api/v1/promotions/redeem/", body, key="k-1")
    replay = post(client, "/api/v1/promotions/redeem/", body, key="k-1")
    no_key = post(client, "/api/v1/promotions/redeem/", body)
    again = post(client, "/api/v1/promotions/redeem/", body, key="k-2")

    assert first.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert first.json()["promotion"] == "WELCOME" and first.json()["number"] == 1
    assert no_key.status_code == 400
    assert (again.status_code, again.json()["code"]) == (409, "promotion_limit_reached")
    assert PromotionRedemption.objects.count() == 1
    assert main_wallet(account).balance == D("10.00")


def test_a_campaign_is_run_once_per_idempotency_key(operator, operator_staff):
    promotion = make_promotion(operator, code="ALLIN", credit_amount=D("2.00"))
    accounts = [make_account(tenant=operator) for _ in range(2)]
    client = client_for(operator_staff)

    run = post(client, f"/api/v1/promotions/{promotion.pk}/campaign/", {}, key="c-1")
    replay = post(client, f"/api/v1/promotions/{promotion.pk}/campaign/", {}, key="c-1")

    assert (run.status_code, run.json()) == (200, {"granted": 2, "refused": {}})
    assert replay.json() == {"granted": 2, "refused": {}}
    assert [main_wallet(account).balance for account in accounts] == [D("2.00"), D("2.00")]


def test_another_resellers_staff_sees_nothing_and_cannot_redeem_for_the_account(reseller_a, reseller_b):
    promotion = make_promotion(reseller_a, code="AONLY", credit_amount=D("1.00"))
    account = make_account(tenant=reseller_a)
    other = client_for(make_staff(tenant=reseller_b))

    hidden = other.get(f"/api/v1/promotions/{promotion.pk}/")
    listed = other.get("/api/v1/promotions/")
    refused = post(other, "/api/v1/promotions/redeem/", {"code": "AONLY", "account": str(account.uuid)}, key="x")

    assert hidden.status_code == 404
    assert listed.json()["results"] == []
    assert (refused.status_code, list(refused.json())) == (400, ["account"])
    assert not Promotion.objects.filter(redemptions_count__gt=0).exists()


def test_points_are_redeemed_for_credit_through_the_api(operator, operator_staff):
    make_rule(operator, "per_top_up", "100")
    points_rate(operator, "0.01")
    account = make_account(tenant=operator, balance=D("3.00"))
    promotions_daily()
    client = client_for(operator_staff)

    redeemed = post(client, "/api/v1/loyalty-redemptions/", {"account": str(account.uuid), "points": "150"}, key="p")
    replay = post(client, "/api/v1/loyalty-redemptions/", {"account": str(account.uuid), "points": "150"}, key="p")
    grants = client.get("/api/v1/loyalty-grants/", {"account__uuid": str(account.uuid)})

    assert redeemed.status_code == 201, redeemed.json()
    assert (redeemed.json()["value"], redeemed.json()["value_unit"]) == ("1.50", "EUR")
    assert replay["Idempotent-Replayed"] == "true"
    assert main_wallet(account).balance == D("4.50")
    assert [g["points"] for g in grants.json()["results"]] == ["300.000"]


def test_loyalty_rules_are_configured_through_the_api(operator, operator_staff):
    client = client_for(operator_staff)
    body = {"name": "1 point per euro", "kind": "per_currency_paid_on_time", "points": "1", "expiry_days": 365}

    created = post(client, "/api/v1/loyalty-rules/", body)
    changed = client.patch(f"/api/v1/loyalty-rules/{created.json()['id']}/", {"active": False}, format="json")

    assert created.status_code == 201
    assert (changed.status_code, changed.json()["active"]) == (200, False)


def test_a_referral_is_registered_and_evaluated_through_the_api(operator, operator_staff):
    client = client_for(operator_staff)
    program = post(
        client,
        "/api/v1/referral-programs/",
        {"condition": "days_active", "days_active": 0, "currency": "EUR", "referrer_reward": "8.00"},
    )
    referrer, friend = make_account(tenant=operator), make_account(tenant=operator)
    code = post(client, "/api/v1/referral-codes/", {"customer": str(referrer.customer.uuid)})
    same = post(client, "/api/v1/referral-codes/", {"customer": str(referrer.customer.uuid)})

    registered = post(
        client, "/api/v1/referrals/", {"code": code.json()["code"], "customer": str(friend.customer.uuid)}, key="r"
    )
    evaluated = post(client, f"/api/v1/referrals/{registered.json()['uuid']}/evaluate/", {}, key="e")

    assert program.status_code == 201, program.json()
    assert same.json()["code"] == code.json()["code"]
    assert (registered.status_code, registered.json()["status"]) == (201, "pending")
    assert (evaluated.status_code, evaluated.json()["status"]) == (200, "rewarded")
    assert main_wallet(referrer).balance == D("8.00")
    assert Referral.objects.get().referrer_transaction_id is not None


def test_a_referral_programme_in_another_tenant_is_out_of_reach(operator, reseller_a, reseller_a_staff):
    program = make_program(operator)

    response = client_for(reseller_a_staff).get(f"/api/v1/referral-programs/{program.pk}/")

    assert response.status_code == 404
