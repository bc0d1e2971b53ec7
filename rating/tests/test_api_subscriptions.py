"""Subscriptions through the REST API: nested identifiers, the no-overlap rule as a 400, catalog and tenant scope."""

from __future__ import annotations

from datetime import date

import pytest

from accounts.models import AuditEvent
from accounts.models.customers import AccountStatus
from accounts.tests.api_client import ids, token_client
from accounts.tests.factories import make_account
from rating.models import Product, ServiceIdentifier, Subscription, SubscriptionStatus

pytestmark = pytest.mark.django_db

URL = "/api/v1/subscriptions/"
MSISDN = "34600111222"


def make_product(tenant, code: str = "mobile-s", **fields) -> Product:
    return Product.objects.create(tenant=tenant, code=code, name=code.replace("-", " ").title(), **fields)


def subscribe(client, account, product, *identifiers: dict, **fields):
    body = {"account": account.pk, "product": product.pk, "start_date": "2026-01-01", **fields}
    if identifiers:
        body["identifiers"] = list(identifiers)
    return client.post(URL, body, format="json")


def msisdn(value: str = MSISDN, **window: str) -> dict:
    return {"kind": "msisdn", "value": value, **window}


def test_create_with_identifiers_defaults_their_start_to_the_subscription_start(reseller_a, reseller_a_staff):
    account = make_account(tenant=reseller_a)
    product = make_product(reseller_a)

    response = subscribe(token_client(reseller_a_staff), account, product, msisdn(), quantity=2)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["account"], body["product"], body["quantity"], body["status"]) == (account.pk, product.pk, 2, "active")
    [identifier] = body["identifiers"]
    assert (identifier["value"], identifier["valid_to"]) == (MSISDN, None)
    assert identifier["valid_from"].startswith("2026-01-01T00:00:00")
    assert AuditEvent.objects.filter(action="subscription.create", object_id=str(body["id"])).exists()


def test_an_identifier_in_use_is_a_400_naming_identifiers_and_nothing_is_created(reseller_a, reseller_a_staff):
    client = token_client(reseller_a_staff)
    product = make_product(reseller_a)
    first = make_account(tenant=reseller_a)
    second = make_account(tenant=reseller_a)
    subscribe(client, first, product, msisdn(valid_from="2026-01-01T00:00:00Z"))

    response = subscribe(client, second, product, msisdn(valid_from="2026-06-01T00:00:00Z"))

    assert response.status_code == 400
    assert MSISDN in response.json()["identifiers"][0]
    assert not Subscription.objects.filter(account=second).exists()
    assert ServiceIdentifier.objects.filter(value=MSISDN).count() == 1


def test_a_released_identifier_can_be_reused_from_the_end_of_its_window(reseller_a, reseller_a_staff):
    client = token_client(reseller_a_staff)
    product = make_product(reseller_a)
    old = subscribe(client, make_account(tenant=reseller_a), product, msisdn(valid_from="2026-01-01T00:00:00Z"))
    identifier_id = old.json()["identifiers"][0]["id"]

    released = client.patch(
        f"{URL}{old.json()['id']}/",
        {
            "identifiers": [
                {"id": identifier_id, **msisdn(valid_from="2026-01-01T00:00:00Z", valid_to="2026-03-01T00:00:00Z")}
            ]
        },
        format="json",
    )
    reused = subscribe(client, make_account(tenant=reseller_a), product, msisdn(valid_from="2026-03-01T00:00:00Z"))

    assert released.status_code == 200, released.content
    assert reused.status_code == 201, reused.content
    assert ServiceIdentifier.objects.filter(value=MSISDN).count() == 2


def test_identifier_window_must_end_after_it_starts(reseller_a, reseller_a_staff):
    response = subscribe(
        token_client(reseller_a_staff),
        make_account(tenant=reseller_a),
        make_product(reseller_a),
        msisdn(valid_from="2026-02-01T00:00:00Z", valid_to="2026-01-01T00:00:00Z"),
    )

    assert response.status_code == 400
    assert "identifiers" in response.json()


def test_a_reseller_sells_its_operators_products_but_not_a_sibling_resellers(
    operator, reseller_a, reseller_b, reseller_a_staff
):
    client = token_client(reseller_a_staff)
    account = make_account(tenant=reseller_a)

    from_operator = subscribe(client, account, make_product(operator, "operator-plan"))
    from_sibling = subscribe(client, account, make_product(reseller_b, "sibling-plan"))

    assert from_operator.status_code == 201, from_operator.content
    assert from_sibling.status_code == 400
    assert "product" in from_sibling.json()


def test_an_operator_cannot_give_an_account_a_product_of_a_reseller_below(operator_staff, operator, reseller_a):
    response = subscribe(
        token_client(operator_staff), make_account(tenant=operator), make_product(reseller_a, "reseller-only")
    )

    assert response.status_code == 400
    assert "product" in response.json()


def test_reseller_cannot_reach_another_tenants_subscriptions(reseller_a_staff, reseller_b):
    subscription = Subscription.objects.create(
        account=make_account(tenant=reseller_b), product=make_product(reseller_b), start_date=date(2026, 1, 1)
    )
    client = token_client(reseller_a_staff)

    read = client.get(f"{URL}{subscription.pk}/")
    change = client.patch(f"{URL}{subscription.pk}/", {"quantity": 9}, format="json")
    listed = ids(client.get(URL))
    onto_foreign_account = subscribe(client, subscription.account, make_product(reseller_b, "other"))

    assert (read.status_code, change.status_code) == (404, 404)
    assert listed == set()
    assert onto_foreign_account.status_code == 400
    assert "account" in onto_foreign_account.json()
    subscription.refresh_from_db()
    assert subscription.quantity == 1


def test_account_and_product_are_fixed_after_creation(reseller_a, reseller_a_staff):
    client = token_client(reseller_a_staff)
    created = subscribe(client, make_account(tenant=reseller_a), make_product(reseller_a)).json()

    response = client.patch(f"{URL}{created['id']}/", {"account": make_account(tenant=reseller_a).pk}, format="json")

    assert response.status_code == 400
    assert "account" in response.json()


def test_ending_needs_an_end_date_and_ended_is_final(reseller_a, reseller_a_staff):
    client = token_client(reseller_a_staff)
    created = subscribe(client, make_account(tenant=reseller_a), make_product(reseller_a)).json()
    url = f"{URL}{created['id']}/"

    without_end = client.patch(url, {"status": "ended"}, format="json")
    ended = client.patch(url, {"status": "ended", "end_date": "2026-04-30"}, format="json")
    revived = client.patch(url, {"status": "active"}, format="json")

    assert without_end.status_code == 400
    assert "end_date" in without_end.json()
    assert ended.status_code == 200
    assert revived.status_code == 409
    assert Subscription.objects.get(pk=created["id"]).status == SubscriptionStatus.ENDED


def test_only_a_pending_subscription_can_be_deleted(reseller_a, reseller_a_staff):
    client = token_client(reseller_a_staff)
    account = make_account(tenant=reseller_a)
    product = make_product(reseller_a)
    active = subscribe(client, account, product, msisdn()).json()
    pending = subscribe(client, account, product, status="pending").json()

    refused = client.delete(f"{URL}{active['id']}/")
    deleted = client.delete(f"{URL}{pending['id']}/")

    assert refused.status_code == 409
    assert deleted.status_code == 204
    assert set(Subscription.objects.values_list("pk", flat=True)) == {active["id"]}


def test_a_closed_account_takes_no_new_subscription(reseller_a, reseller_a_staff):
    account = make_account(tenant=reseller_a)
    account.status = AccountStatus.CLOSED
    account.save()

    response = subscribe(token_client(reseller_a_staff), account, make_product(reseller_a))

    assert response.status_code == 409
    assert response.json()["code"] == "account_closed"


def test_filters_by_account_status_and_identifier(reseller_a, reseller_a_staff):
    client = token_client(reseller_a_staff)
    product = make_product(reseller_a)
    first, second = make_account(tenant=reseller_a), make_account(tenant=reseller_a)
    with_number = subscribe(client, first, product, msisdn("34699000001")).json()
    paused = subscribe(client, second, product, status="pending").json()

    assert ids(client.get(URL, {"account": first.pk})) == {with_number["id"]}
    assert ids(client.get(URL, {"status": "pending"})) == {paused["id"]}
    assert ids(client.get(URL, {"identifier": "34699000001"})) == {with_number["id"]}
    assert ids(client.get(URL, {"tenant": reseller_a.pk})) == {with_number["id"], paused["id"]}
