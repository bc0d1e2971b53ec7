"""The back office answers for every admin, and keeps each reseller inside its own tenant subtree."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib import admin

from accounts.models import AuditEvent, BillingAccount, Customer, LedgerEntry, Wallet
from accounts.models.customers import AccountStatus, PaymentMode
from accounts.tenancy import scope_queryset
from accounts.tests.conftest import change_form_data, login, messages_of
from accounts.tests.factories import main_wallet, unit

pytestmark = pytest.mark.django_db

ACCOUNTS_ADMINS = [
    "tenant",
    "customer",
    "billingaccount",
    "billingcycle",
    "wallet",
    "ledgertransaction",
    "ledgerentry",
    "ledgeraccount",
    "unit",
    "exchangerate",
    "auditevent",
    "user",
]


def test_every_accounts_model_admin_is_covered_by_the_smoke_test():
    registered = {model._meta.model_name for model in admin.site._registry if model._meta.app_label == "accounts"}

    assert registered == set(ACCOUNTS_ADMINS)


@pytest.mark.parametrize("model_name", ACCOUNTS_ADMINS)
@pytest.mark.parametrize("who", ["operator_staff", "platform_admin"])
def test_changelist_and_change_page_answer_for_every_admin(request, branch_a, branch_b, model_name, who):
    user = request.getfixturevalue(who)
    client = login(user)
    model = next(m for m in admin.site._registry if m._meta.model_name == model_name)
    queryset = model._default_manager.all()
    if getattr(model, "tenant_lookup", None) is not None:
        queryset = scope_queryset(queryset, user)
    sample = queryset.order_by("pk").last()
    assert sample is not None, f"the world has no {model_name} {user} may see"

    listing = client.get(f"/admin/accounts/{model_name}/")
    page = client.get(f"/admin/accounts/{model_name}/{sample.pk}/change/")

    assert listing.status_code == 200
    assert page.status_code == 200


@pytest.mark.parametrize(
    "model_name", ["tenant", "customer", "billingaccount", "billingcycle", "wallet", "exchangerate", "user"]
)
def test_add_pages_answer_for_tenant_staff(reseller_a_staff, model_name):
    client = login(reseller_a_staff)

    response = client.get(f"/admin/accounts/{model_name}/add/")

    assert response.status_code == 200


def test_reseller_staff_sees_only_its_own_customers_accounts_and_wallets(reseller_a_staff, branch_a, branch_b):
    client = login(reseller_a_staff)

    customers = client.get("/admin/accounts/customer/").content.decode()
    accounts = client.get("/admin/accounts/billingaccount/").content.decode()
    wallets = client.get("/admin/accounts/wallet/").content.decode()

    assert branch_a.customer.number in customers
    assert branch_b.customer.number not in customers
    assert branch_a.account.number in accounts
    assert branch_b.account.number not in accounts
    assert branch_a.account.number in wallets
    assert branch_b.account.number not in wallets


def test_sidebar_filters_do_not_name_other_tenants(reseller_a_staff, reseller_a, branch_a, branch_b):
    # Give reseller A a sub-reseller, so its staff get a tenant filter at all.
    from accounts.tests.factories import make_tenant

    make_tenant(name="Alpha Sub", parent=reseller_a)
    client = login(reseller_a_staff)

    page = client.get("/admin/accounts/billingaccount/").content.decode()

    assert "Alpha Sub" in page
    assert branch_b.tenant.name not in page
    assert branch_b.cycle.name not in page


@pytest.mark.parametrize("model_name", ["customer", "billingaccount", "wallet", "billingcycle", "exchangerate"])
def test_another_tenants_change_page_is_not_found(reseller_a_staff, branch_b, model_name):
    client = login(reseller_a_staff)
    target = {
        "customer": branch_b.customer,
        "billingaccount": branch_b.account,
        "wallet": branch_b.wallet,
        "billingcycle": branch_b.cycle,
        "exchangerate": branch_b.tenant.exchange_rates.get(),
    }[model_name]

    response = client.get(f"/admin/accounts/{model_name}/{target.pk}/change/")

    assert response.status_code == 404


@pytest.mark.parametrize("view", ["history", "delete"])
def test_another_tenants_history_and_delete_pages_are_not_found(reseller_a_staff, branch_b, view):
    client = login(reseller_a_staff)

    page = client.get(f"/admin/accounts/customer/{branch_b.customer.pk}/{view}/")
    post = client.post(f"/admin/accounts/customer/{branch_b.customer.pk}/{view}/", {"post": "yes"})

    assert page.status_code == 404
    assert post.status_code == 404
    assert Customer.objects.filter(pk=branch_b.customer.pk).exists()


def test_customer_autocomplete_offers_only_the_users_customers(reseller_a_staff, branch_a, branch_b):
    client = login(reseller_a_staff)
    query = {"app_label": "accounts", "model_name": "billingaccount", "field_name": "customer", "term": "Customer"}

    response = client.get("/admin/autocomplete/", query)

    assert [row["id"] for row in response.json()["results"]] == [str(branch_a.customer.pk)]


def test_own_customer_can_be_changed_but_the_same_post_on_another_tenants_customer_changes_nothing(
    reseller_a_staff, branch_a, branch_b
):
    client = login(reseller_a_staff)
    data = change_form_data(client.get(f"/admin/accounts/customer/{branch_a.customer.pk}/change/"))
    data["name"] = "Renamed"

    own = client.post(f"/admin/accounts/customer/{branch_a.customer.pk}/change/", data)
    foreign = client.post(f"/admin/accounts/customer/{branch_b.customer.pk}/change/", data)

    assert own.status_code == 302
    assert Customer.objects.get(pk=branch_a.customer.pk).name == "Renamed"
    assert foreign.status_code == 404
    assert Customer.objects.get(pk=branch_b.customer.pk).name == "Bravo Customer"


def test_posting_another_tenants_account_change_changes_nothing(reseller_a_staff, branch_a, branch_b):
    client = login(reseller_a_staff)
    data = change_form_data(client.get(f"/admin/accounts/billingaccount/{branch_a.account.pk}/change/"))
    data["name"] = "Hijacked"

    response = client.post(f"/admin/accounts/billingaccount/{branch_b.account.pk}/change/", data)

    assert response.status_code == 404
    assert BillingAccount.objects.get(pk=branch_b.account.pk).name == ""


def _new_account_data(customer_pk: int, number: str) -> dict[str, object]:
    return {
        "customer": customer_pk,
        "number": number,
        "name": "",
        "currency": unit("EUR").pk,
        "payment_mode": PaymentMode.POSTPAID,
        "credit_limit": "100.00",
        "billing_cycle": "",
        "payment_terms_days": "14",
    }


def test_opening_an_account_from_the_admin_opens_its_main_pocket_and_audits_it(reseller_a_staff, branch_a):
    client = login(reseller_a_staff)

    response = client.post("/admin/accounts/billingaccount/add/", _new_account_data(branch_a.customer.pk, "NEW-1"))

    assert response.status_code == 302
    account = BillingAccount.objects.get(number="NEW-1")
    assert account.tenant == branch_a.tenant
    assert account.credit_limit == Decimal("100.00")
    assert main_wallet(account).balance == Decimal("0")
    assert AuditEvent.objects.filter(action="account.open", object_id=str(account.pk), actor=reseller_a_staff).exists()


def test_opening_an_account_for_another_tenants_customer_is_refused(reseller_a_staff, branch_b):
    client = login(reseller_a_staff)

    response = client.post("/admin/accounts/billingaccount/add/", _new_account_data(branch_b.customer.pk, "NEW-2"))

    assert response.status_code == 200
    assert "customer" in response.context["adminform"].form.errors
    assert not BillingAccount.objects.filter(number="NEW-2").exists()


def test_a_taken_account_number_is_a_form_error_not_a_crash(reseller_a_staff, branch_a):
    client = login(reseller_a_staff)

    response = client.post(
        "/admin/accounts/billingaccount/add/", _new_account_data(branch_a.customer.pk, branch_a.account.number)
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["number"] == ["This account number is taken."]


def test_account_page_shows_wallets_and_latest_ledger_entries(reseller_a_staff, branch_a):
    client = login(reseller_a_staff)

    response = client.get(f"/admin/accounts/billingaccount/{branch_a.account.pk}/change/")

    page = response.content.decode()
    assert "Main balance (EUR)" in page
    assert "50.00 EUR" in page
    assert [e.pk for e in response.context["recent_entries"]] == list(
        LedgerEntry.objects.filter(ledger_account__billing_account=branch_a.account).values_list("pk", flat=True)
    )


def test_lowering_the_credit_limit_below_the_debt_is_refused_and_changes_nothing(reseller_a_staff, reseller_a):
    from accounts.services import wallet_debit
    from accounts.tests.factories import make_account

    account = make_account(tenant=reseller_a, mode=PaymentMode.POSTPAID, credit_limit=Decimal("100"))
    wallet_debit(wallet=main_wallet(account), amount=Decimal("60.00"))
    client = login(reseller_a_staff)
    data = change_form_data(client.get(f"/admin/accounts/billingaccount/{account.pk}/change/"))
    data["credit_limit"] = "50.00"

    response = client.post(f"/admin/accounts/billingaccount/{account.pk}/change/", data)

    assert response.status_code == 200
    assert "Settle the balance first" in str(response.context["adminform"].form.non_field_errors())
    account.refresh_from_db()
    assert account.credit_limit == Decimal("100.0000")


def test_raising_the_credit_limit_is_saved_and_audited_with_before_and_after(reseller_a_staff, reseller_a):
    from accounts.tests.factories import make_account

    account = make_account(tenant=reseller_a, mode=PaymentMode.POSTPAID, credit_limit=Decimal("100"))
    client = login(reseller_a_staff)
    data = change_form_data(client.get(f"/admin/accounts/billingaccount/{account.pk}/change/"))
    data["credit_limit"] = "250.00"

    response = client.post(f"/admin/accounts/billingaccount/{account.pk}/change/", data)

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.credit_limit == Decimal("250.0000")
    event = AuditEvent.objects.get(action="account.update", object_id=str(account.pk))
    assert event.before == {"credit_limit": "100.0000"}
    assert event.after == {"credit_limit": "250.00"}


def _run_action(client, action: str, ids: list[int]):
    return client.post(
        "/admin/accounts/billingaccount/", {"action": action, "_selected_action": ids, "index": 0}, follow=True
    )


def test_suspend_reactivate_and_skip_dunning_actions_change_the_accounts_and_audit_each(reseller_a_staff, branch_a):
    client = login(reseller_a_staff)
    pk = branch_a.account.pk

    _run_action(client, "suspend", [pk])
    suspended = BillingAccount.objects.get(pk=pk).status
    _run_action(client, "mark_skip_dunning", [pk])
    skipping = BillingAccount.objects.get(pk=pk).skip_dunning
    again = _run_action(client, "suspend", [pk])
    _run_action(client, "reactivate", [pk])

    assert suspended == AccountStatus.SUSPENDED
    assert skipping is True
    assert "0 account(s) suspended (1 already were)." in messages_of(again)
    assert BillingAccount.objects.get(pk=pk).status == AccountStatus.ACTIVE
    actions = list(
        AuditEvent.objects.filter(object_id=str(pk), actor=reseller_a_staff).values_list("action", flat=True)
    )
    assert sorted(actions) == ["account.reactivate", "account.skip_dunning", "account.suspend"]


def test_reactivating_a_closed_account_is_refused_with_a_message(reseller_a_staff, branch_a):
    BillingAccount.objects.filter(pk=branch_a.account.pk).update(status=AccountStatus.CLOSED)
    client = login(reseller_a_staff)

    response = _run_action(client, "reactivate", [branch_a.account.pk])

    assert f"{branch_a.account.number}: Account {branch_a.account.number} is closed." in messages_of(response)
    assert BillingAccount.objects.get(pk=branch_a.account.pk).status == AccountStatus.CLOSED


def test_an_action_on_another_tenants_account_id_does_nothing(reseller_a_staff, branch_b):
    client = login(reseller_a_staff)

    _run_action(client, "suspend", [branch_b.account.pk])

    assert BillingAccount.objects.get(pk=branch_b.account.pk).status == AccountStatus.ACTIVE


def test_reseller_staff_cannot_see_another_tenants_ledger_entries(reseller_a_staff, branch_a, branch_b):
    client = login(reseller_a_staff)
    foreign_entry = LedgerEntry.objects.filter(ledger_account=branch_b.wallet).get()

    listing = client.get("/admin/accounts/ledgerentry/")
    entry_page = client.get(f"/admin/accounts/ledgerentry/{foreign_entry.pk}/change/")
    txn_page = client.get(f"/admin/accounts/ledgertransaction/{foreign_entry.transaction_id}/change/")

    shown = {entry.pk for entry in listing.context["cl"].result_list}
    assert shown == set(LedgerEntry.objects.filter(transaction__tenant=branch_a.tenant).values_list("pk", flat=True))
    assert entry_page.status_code == 404
    assert txn_page.status_code == 404


def test_operator_staff_sees_its_resellers_rows(operator_staff, branch_a, branch_b):
    client = login(operator_staff)

    accounts = client.get("/admin/accounts/billingaccount/").content.decode()
    wallet_page = client.get(f"/admin/accounts/wallet/{branch_b.wallet.pk}/change/")

    assert branch_a.account.number in accounts
    assert branch_b.account.number in accounts
    assert wallet_page.status_code == 200
    assert set(Wallet.objects.values_list("pk", flat=True)) >= {branch_a.wallet.pk, branch_b.wallet.pk}


def test_admin_index_shows_the_dashboard_for_the_users_tenant_only(reseller_a_staff, branch_a, branch_b):
    client = login(reseller_a_staff)

    response = client.get("/admin/")

    page = response.content.decode()
    assert 'id="back-office-dashboard"' in page
    assert '<td class="customers-count">1</td>' in page
    assert '<td class="prepaid-EUR">50.00</td>' in page
    assert "/admin/accounts/ledgertransaction/trial-balance/" in page
