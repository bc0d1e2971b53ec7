"""Who may use the API and what they see: tenant scope on every endpoint, roles, portal users, tokens."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import BillingAccount, Customer, LedgerEntry, User
from accounts.models.customers import PaymentMode
from accounts.tests.api_client import ids, token_client
from accounts.tests.factories import main_wallet, make_account, make_customer, make_staff, make_tenant, unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def b_account(reseller_b):
    """Reseller B's prepaid account with 20.00 on its main pocket: what reseller A must never reach."""
    return make_account(tenant=reseller_b, mode=PaymentMode.PREPAID, balance=Decimal("20.00"))


def test_reseller_lists_show_nothing_of_another_tenant(reseller_a, reseller_a_staff, b_account):
    own = make_account(tenant=reseller_a, balance=Decimal("1.00"))
    client = token_client(reseller_a_staff)
    b_wallet = main_wallet(b_account)

    assert ids(client.get("/api/v1/customers/")) == {own.customer_id}
    assert ids(client.get("/api/v1/accounts/")) == {own.pk}
    assert ids(client.get("/api/v1/wallets/")) == {main_wallet(own).pk}
    assert ids(client.get("/api/v1/wallets/", {"account": b_account.pk})) == set()
    assert ids(client.get("/api/v1/customers/", {"tenant": b_account.tenant_id})) == set()
    entries = ids(client.get("/api/v1/ledger-entries/"))
    assert entries and not entries & set(
        LedgerEntry.objects.filter(ledger_account=b_wallet).values_list("pk", flat=True)
    )
    assert ids(client.get("/api/v1/tenants/")) == {reseller_a.pk}


def test_reseller_cannot_read_another_tenants_objects(reseller_a_staff, b_account):
    client = token_client(reseller_a_staff)
    entry = LedgerEntry.objects.filter(ledger_account=main_wallet(b_account)).first()

    for url in (
        f"/api/v1/customers/{b_account.customer_id}/",
        f"/api/v1/accounts/{b_account.pk}/",
        f"/api/v1/wallets/{main_wallet(b_account).pk}/",
        f"/api/v1/ledger-entries/{entry.pk}/",
        f"/api/v1/tenants/{b_account.tenant_id}/",
    ):
        assert client.get(url).status_code == 404, url


def test_reseller_cannot_change_another_tenants_objects(reseller_a_staff, b_account):
    client = token_client(reseller_a_staff)
    wallet = main_wallet(b_account)
    entries_before = LedgerEntry.objects.count()

    customer_patch = client.patch(f"/api/v1/customers/{b_account.customer_id}/", {"name": "Hijacked"}, format="json")
    customer_delete = client.delete(f"/api/v1/customers/{b_account.customer_id}/")
    account_patch = client.patch(f"/api/v1/accounts/{b_account.pk}/", {"status": "closed"}, format="json")
    top_up = client.post(
        f"/api/v1/wallets/{wallet.pk}/top-up/", {"amount": "100"}, format="json", HTTP_IDEMPOTENCY_KEY="x-1"
    )
    debit = client.post(
        f"/api/v1/wallets/{wallet.pk}/adjust/",
        {"direction": "debit", "amount": "20", "reason": "theft"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="x-2",
    )

    assert [r.status_code for r in (customer_patch, customer_delete, account_patch, top_up, debit)] == [404] * 5
    b_account.refresh_from_db()
    wallet.refresh_from_db()
    assert b_account.customer.name != "Hijacked"
    assert b_account.status == "active"
    assert wallet.balance == Decimal("20.00")
    assert LedgerEntry.objects.count() == entries_before


def test_reseller_cannot_open_an_account_for_another_tenants_customer(reseller_a_staff, b_account):
    response = token_client(reseller_a_staff).post(
        "/api/v1/accounts/",
        {"customer": b_account.customer_id, "number": "A-STOLEN", "currency": "EUR"},
        format="json",
    )

    assert response.status_code == 400
    assert "customer" in response.json()
    assert not BillingAccount.objects.filter(number="A-STOLEN").exists()


def test_operator_sees_its_resellers_subtree_and_a_sub_reseller_sees_only_its_own(operator_staff, reseller_a):
    sub = make_tenant(name="Sub of A", parent=reseller_a)
    sub_customer = make_customer(tenant=sub)
    a_customer = make_customer(tenant=reseller_a)
    sub_staff = make_staff(tenant=sub)

    assert ids(token_client(operator_staff).get("/api/v1/customers/")) == {sub_customer.pk, a_customer.pk}
    assert ids(token_client(sub_staff).get("/api/v1/customers/")) == {sub_customer.pk}


def test_portal_users_token_is_forbidden(reseller_a):
    customer = make_customer(tenant=reseller_a)
    portal_user = User.objects.create_user(username="portal", password="pw-Secret-123", customer=customer)

    client = token_client(portal_user)

    assert client.get("/api/v1/customers/").status_code == 403
    assert client.get(f"/api/v1/customers/{customer.pk}/").status_code == 403


def test_anonymous_requests_are_refused():
    assert APIClient().get("/api/v1/customers/").status_code == 401


def test_staff_without_a_role_cannot_read_and_a_read_only_role_cannot_move_money(reseller_a):
    from django.contrib.auth.models import Permission

    wallet = main_wallet(make_account(tenant=reseller_a, balance=Decimal("3.00")))
    no_role = User.objects.create_user(username="norole", password="pw-Secret-123", tenant=reseller_a, is_staff=True)
    reader = User.objects.create_user(username="reader", password="pw-Secret-123", tenant=reseller_a, is_staff=True)
    reader.user_permissions.set(Permission.objects.filter(codename__in=["view_wallet", "view_customer"]))

    refused_read = token_client(no_role).get("/api/v1/customers/")
    allowed_read = token_client(reader).get(f"/api/v1/wallets/{wallet.pk}/")
    refused_top_up = token_client(reader).post(
        f"/api/v1/wallets/{wallet.pk}/top-up/", {"amount": "1.00"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1"
    )
    refused_create = token_client(reader).post("/api/v1/customers/", {"number": "C-R", "name": "R"}, format="json")

    assert refused_read.status_code == 403
    assert allowed_read.status_code == 200
    assert (refused_top_up.status_code, refused_create.status_code) == (403, 403)
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("3.00")
    assert not Customer.objects.filter(number="C-R").exists()


def test_create_api_token_prints_a_working_token_and_rotate_replaces_it(reseller_a_staff):
    out = StringIO()
    call_command("create_api_token", reseller_a_staff.username, stdout=out)
    first = out.getvalue().strip()
    again = StringIO()
    call_command("create_api_token", reseller_a_staff.username, stdout=again)
    rotated = StringIO()
    call_command("create_api_token", reseller_a_staff.username, "--rotate", stdout=rotated)

    assert again.getvalue().strip() == first
    assert rotated.getvalue().strip() != first
    old, new = APIClient(), APIClient()
    old.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    new.credentials(HTTP_AUTHORIZATION=f"Token {rotated.getvalue().strip()}")
    assert old.get("/api/v1/customers/").status_code == 401
    assert new.get("/api/v1/customers/").status_code == 200


def test_create_api_token_refuses_portal_users_and_unknown_names(reseller_a):
    customer = make_customer(tenant=reseller_a)
    User.objects.create_user(username="portal2", password="pw-Secret-123", customer=customer)

    with pytest.raises(CommandError, match="portal"):
        call_command("create_api_token", "portal2", stdout=StringIO())
    with pytest.raises(CommandError, match="No user"):
        call_command("create_api_token", "nobody", stdout=StringIO())


def test_units_are_shared_reference_data(reseller_a_staff):
    unit("MIN")  # seeded by a migration; recreated if a transactional test flushed the table
    client = token_client(reseller_a_staff)

    eur = client.get("/api/v1/units/EUR/").json()
    items = client.get("/api/v1/units/", {"kind": "item"}).json()

    assert (eur["kind"], eur["decimals"]) == ("currency", 2)
    assert items and {u["kind"] for u in items} == {"item"}
