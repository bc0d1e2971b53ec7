"""Customers through the REST API: create via the service, change with an audit trail, filters, tenant scope."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent, Customer
from accounts.tests.api_client import ids, results, token_client
from accounts.tests.factories import make_account, make_customer

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


def test_create_customer_defaults_to_own_tenant_and_is_audited(reseller_a, reseller_a_staff):
    client = token_client(reseller_a_staff)

    response = client.post(URL, {"number": "C-1", "name": "Ana Pérez", "email": "ana@example.com"}, format="json")

    assert response.status_code == 201, response.content
    customer = Customer.objects.get(pk=response.json()["id"])
    assert customer.tenant == reseller_a
    assert response.json()["tenant"] == reseller_a.pk
    event = AuditEvent.objects.get(action="customer.create", object_id=str(customer.pk))
    assert event.actor == reseller_a_staff


def test_operator_staff_creates_a_customer_for_a_reseller_below(operator_staff, reseller_b):
    response = token_client(operator_staff).post(
        URL, {"tenant": reseller_b.pk, "number": "C-9", "name": "Bea"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert Customer.objects.get(number="C-9").tenant == reseller_b


def test_reseller_cannot_create_a_customer_in_another_tenant(reseller_a_staff, reseller_b, operator):
    client = token_client(reseller_a_staff)

    for foreign in (reseller_b, operator):
        response = client.post(URL, {"tenant": foreign.pk, "number": "C-X", "name": "Intruder"}, format="json")
        assert response.status_code == 400
        assert "tenant" in response.json()
    assert not Customer.objects.filter(number="C-X").exists()


def test_duplicate_customer_number_in_one_tenant_is_a_400(reseller_a, reseller_a_staff):
    existing = make_customer(tenant=reseller_a)

    response = token_client(reseller_a_staff).post(URL, {"number": existing.number, "name": "Twin"}, format="json")

    assert response.status_code == 400
    assert "number" in response.json()
    assert Customer.objects.filter(tenant=reseller_a, number=existing.number).count() == 1


def test_patch_changes_fields_and_records_before_and_after(reseller_a, reseller_a_staff):
    customer = make_customer(tenant=reseller_a, name="Old Name", segment="consumer")

    response = token_client(reseller_a_staff).patch(
        f"{URL}{customer.pk}/", {"name": "New Name", "segment": "business"}, format="json"
    )

    assert response.status_code == 200, response.content
    customer.refresh_from_db()
    assert (customer.name, customer.segment) == ("New Name", "business")
    event = AuditEvent.objects.get(action="customer.update", object_id=str(customer.pk))
    assert event.before == {"name": "Old Name", "segment": "consumer"}
    assert event.after == {"name": "New Name", "segment": "business"}


def test_operator_put_keeps_a_reseller_customer_in_its_tenant(operator_staff, reseller_a):
    customer = make_customer(tenant=reseller_a, name="Kept")

    response = token_client(operator_staff).put(
        f"{URL}{customer.pk}/", {"number": customer.number, "name": "Kept Too"}, format="json"
    )

    assert response.status_code == 200, response.content
    customer.refresh_from_db()
    assert (customer.tenant, customer.name) == (reseller_a, "Kept Too")


def test_customer_cannot_move_to_another_tenant(operator_staff, reseller_a, reseller_b):
    customer = make_customer(tenant=reseller_a)

    response = token_client(operator_staff).patch(f"{URL}{customer.pk}/", {"tenant": reseller_b.pk}, format="json")

    assert response.status_code == 400
    assert "tenant" in response.json()
    customer.refresh_from_db()
    assert customer.tenant == reseller_a


def test_delete_customer_without_accounts_and_refuse_one_with_accounts(reseller_a, reseller_a_staff):
    client = token_client(reseller_a_staff)
    lonely = make_customer(tenant=reseller_a)
    billed = make_account(tenant=reseller_a).customer

    assert client.delete(f"{URL}{lonely.pk}/").status_code == 204
    refused = client.delete(f"{URL}{billed.pk}/")

    assert not Customer.objects.filter(pk=lonely.pk).exists()
    assert refused.status_code == 409
    assert refused.json()["code"] == "customer_has_accounts"
    assert Customer.objects.filter(pk=billed.pk).exists()


def test_filters_by_tenant_kind_segment_and_search(operator_staff, operator, reseller_a):
    ana = make_customer(tenant=reseller_a, name="Ana Pérez", email="ana@shop.example", segment="consumer")
    acme = make_customer(tenant=reseller_a, name="Acme SL", kind="company", segment="business")
    mine = make_customer(tenant=operator, name="Operator Own", segment="consumer")
    client = token_client(operator_staff)

    assert ids(client.get(URL, {"tenant": reseller_a.pk})) == {ana.pk, acme.pk}
    assert ids(client.get(URL, {"kind": "company"})) == {acme.pk}
    assert ids(client.get(URL, {"segment": "Consumer"})) == {ana.pk, mine.pk}
    assert ids(client.get(URL, {"search": "shop.example"})) == {ana.pk}
    assert ids(client.get(URL, {"search": acme.number})) == {acme.pk}
    assert ids(client.get(URL, {"search": "acme"})) == {acme.pk}


def test_list_is_paginated_with_limit_and_offset(reseller_a, reseller_a_staff):
    for _ in range(3):
        make_customer(tenant=reseller_a)

    body = token_client(reseller_a_staff).get(URL, {"limit": 2, "offset": 1, "ordering": "number"}).json()

    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"] is None
    assert body["previous"] is not None


def test_idempotent_create_with_a_key_creates_once(reseller_a, reseller_a_staff):
    client = token_client(reseller_a_staff)
    body = {"number": "C-IDEM", "name": "Once"}

    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="create-1")
    second = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="create-1")

    assert (first.status_code, second.status_code) == (201, 201)
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert len(results(client.get(URL, {"search": "C-IDEM"}))) == 1
