"""Money in the back office: the wallet credit/debit form, the read-only ledger, reversals, the trial balance."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import AuditEvent, LedgerAccount, LedgerEntry, LedgerTransaction
from accounts.models.ledger import TransactionKind
from accounts.selectors import ledger_accounts_out_of_balance, unbalanced_transactions
from accounts.tests.conftest import login, messages_of
from accounts.tests.factories import make_pocket

pytestmark = pytest.mark.django_db


def _move(client, wallet_pk: int, movement: str, amount: str, key: str = "form-1", reason: str = "ticket 42"):
    return client.post(
        f"/admin/accounts/wallet/{wallet_pk}/move/",
        {"movement": movement, "amount": amount, "reason": reason, "reference": "T-42", "idempotency_key": key},
        follow=True,
    )


def test_wallet_credit_form_credits_exactly_and_records_who_and_why(reseller_a_staff, branch_a):
    client = login(reseller_a_staff)

    response = _move(client, branch_a.wallet.pk, "top_up", "12.34")

    branch_a.wallet.refresh_from_db()
    assert branch_a.wallet.balance == Decimal("62.34")
    txn = LedgerTransaction.objects.get(reference="T-42")
    assert txn.kind == TransactionKind.TOP_UP
    assert txn.description == "Top-up: ticket 42"
    assert txn.created_by == reseller_a_staff
    cash = LedgerAccount.objects.get(tenant=branch_a.tenant, kind="cash", code="manual")
    assert cash.balance == Decimal("-12.34")
    assert AuditEvent.objects.filter(action="wallet.credit", actor=reseller_a_staff).count() == 1
    assert "Top-up of 12.34 EUR posted as ledger transaction" in messages_of(response)[0]
    assert not unbalanced_transactions().exists()
    assert not ledger_accounts_out_of_balance().exists()


def test_submitting_the_same_form_twice_posts_once(reseller_a_staff, branch_a):
    client = login(reseller_a_staff)

    _move(client, branch_a.wallet.pk, "credit_adjustment", "5.00", key="same")
    second = _move(client, branch_a.wallet.pk, "credit_adjustment", "5.00", key="same")

    branch_a.wallet.refresh_from_db()
    assert branch_a.wallet.balance == Decimal("55.00")
    assert "already submitted" in messages_of(second)[0]


def test_a_debit_beyond_a_prepaid_balance_shows_an_error_and_changes_nothing(reseller_a_staff, branch_a):
    client = login(reseller_a_staff)
    entries_before = LedgerEntry.objects.count()

    response = _move(client, branch_a.wallet.pk, "charge", "50.01")

    assert response.status_code == 200
    assert any(m.startswith("Refused, nothing was changed:") and "below its floor" in m for m in messages_of(response))
    assert "below its floor" in str(response.context["form"].non_field_errors())
    branch_a.wallet.refresh_from_db()
    assert branch_a.wallet.balance == Decimal("50.00")
    assert LedgerEntry.objects.count() == entries_before


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("-5", "greater than or equal to 0"),
        ("0", "must be positive"),
        ("1.001", "EUR has 2 decimals"),
        ("abc", "number"),
    ],
)
def test_bad_amounts_are_refused_by_the_form(reseller_a_staff, branch_a, amount, error):
    client = login(reseller_a_staff)

    response = _move(client, branch_a.wallet.pk, "top_up", amount)

    assert error in str(response.context["form"].errors["amount"])
    branch_a.wallet.refresh_from_db()
    assert branch_a.wallet.balance == Decimal("50.00")


def test_an_expired_pocket_cannot_be_credited_and_the_refusal_is_an_error_message(reseller_a_staff, branch_a):
    from django.utils import timezone

    now = timezone.now()
    pocket = make_pocket(
        branch_a.account, "MIN", valid_from=now - timezone.timedelta(days=30), valid_to=now - timezone.timedelta(days=1)
    )
    client = login(reseller_a_staff)

    response = _move(client, pocket.pk, "credit_adjustment", "10")

    assert any("is not valid on" in m for m in messages_of(response))
    pocket.refresh_from_db()
    assert pocket.balance == Decimal("0")


def test_item_pockets_offer_adjustments_but_no_cash_top_up(reseller_a_staff, branch_a):
    pocket = make_pocket(branch_a.account, "MIN")
    client = login(reseller_a_staff)

    response = client.get(f"/admin/accounts/wallet/{pocket.pk}/move/")

    choices = [code for code, _label in response.context["form"].fields["movement"].choices]
    assert choices == ["credit_adjustment", "debit_adjustment"]


def test_another_tenants_wallet_form_is_not_found_and_posting_to_it_moves_nothing(reseller_a_staff, branch_b):
    client = login(reseller_a_staff)

    page = client.get(f"/admin/accounts/wallet/{branch_b.wallet.pk}/move/")
    post = _move(client, branch_b.wallet.pk, "top_up", "1000")

    assert page.status_code == 404
    assert post.status_code == 404
    branch_b.wallet.refresh_from_db()
    assert branch_b.wallet.balance == Decimal("50.00")


def test_a_new_pocket_opened_from_the_admin_belongs_to_the_accounts_tenant(reseller_a_staff, branch_a, branch_b):
    from accounts.tests.factories import unit

    client = login(reseller_a_staff)
    base = {"unit": unit("MIN").pk, "name": "Bonus minutes", "priority": "10"}

    own = client.post("/admin/accounts/wallet/add/", {**base, "billing_account": branch_a.account.pk})
    foreign = client.post("/admin/accounts/wallet/add/", {**base, "billing_account": branch_b.account.pk})

    assert own.status_code == 302
    assert branch_a.account.ledger_accounts.get(name="Bonus minutes").tenant == branch_a.tenant
    assert "billing_account" in foreign.context["adminform"].form.errors
    assert not branch_b.account.ledger_accounts.filter(name="Bonus minutes").exists()


@pytest.mark.parametrize("model_name", ["ledgertransaction", "ledgerentry", "ledgeraccount", "auditevent"])
def test_ledger_and_audit_admins_refuse_add_change_and_delete(operator_staff, branch_a, model_name):
    client = login(operator_staff)
    row = {
        "ledgertransaction": LedgerTransaction.objects.first,
        "ledgerentry": LedgerEntry.objects.first,
        "ledgeraccount": LedgerAccount.objects.exclude(kind="pocket").first,
        "auditevent": AuditEvent.objects.first,
    }[model_name]()
    entries_before = LedgerEntry.objects.count()

    add = client.get(f"/admin/accounts/{model_name}/add/")
    change = client.post(f"/admin/accounts/{model_name}/{row.pk}/change/", {"description": "edited", "amount": "1"})
    delete = client.post(f"/admin/accounts/{model_name}/{row.pk}/delete/", {"post": "yes"})
    view = client.get(f"/admin/accounts/{model_name}/{row.pk}/change/")

    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    assert view.status_code == 200
    assert LedgerEntry.objects.count() == entries_before
    assert type(row).objects.filter(pk=row.pk).exists()


def test_ledger_transactions_are_searchable_by_reference_and_filterable_by_kind(reseller_a_staff, branch_a):
    client = login(reseller_a_staff)
    _move(client, branch_a.wallet.pk, "top_up", "1.00")

    by_reference = client.get("/admin/accounts/ledgertransaction/", {"q": "T-42"})
    by_kind = client.get("/admin/accounts/ledgertransaction/", {"kind__exact": "adjustment"})

    assert [t.reference for t in by_reference.context["cl"].result_list] == ["T-42"]
    assert list(by_kind.context["cl"].result_list) == []


def test_reverse_action_asks_for_a_reason_then_posts_the_mirror_transaction(reseller_a_staff, branch_a):
    client = login(reseller_a_staff)
    _move(client, branch_a.wallet.pk, "top_up", "10.00")
    txn = LedgerTransaction.objects.get(reference="T-42")
    selected = {"action": "reverse_transactions", "_selected_action": [txn.pk], "index": 0}

    confirm = client.post("/admin/accounts/ledgertransaction/", selected)
    done = client.post(
        "/admin/accounts/ledgertransaction/", {**selected, "apply": "1", "reason": "keyed twice"}, follow=True
    )

    assert confirm.status_code == 200
    assert "Reverse" in confirm.content.decode()
    reversal = LedgerTransaction.objects.get(reverses=txn)
    assert reversal.description == f"Reversal of #{txn.pk}: keyed twice"
    assert reversal.created_by == reseller_a_staff
    branch_a.wallet.refresh_from_db()
    assert branch_a.wallet.balance == Decimal("50.00")
    assert f"Reversed #{txn.pk} by #{reversal.pk}." in messages_of(done)


def test_reversing_money_already_spent_from_a_prepaid_pocket_is_refused_with_a_message(reseller_a_staff, branch_a):
    from accounts.services import wallet_debit

    client = login(reseller_a_staff)
    top_up = LedgerTransaction.objects.get(entries__ledger_account=branch_a.wallet, kind=TransactionKind.TOP_UP)
    wallet_debit(wallet=branch_a.wallet, amount=Decimal("30.00"))

    response = client.post(
        "/admin/accounts/ledgertransaction/",
        {"action": "reverse_transactions", "_selected_action": [top_up.pk], "index": 0, "apply": "1", "reason": "x"},
        follow=True,
    )

    assert any(m.startswith(f"#{top_up.pk} was not reversed:") for m in messages_of(response))
    assert not LedgerTransaction.objects.filter(reverses=top_up).exists()


def test_trial_balance_shows_equal_debit_and_credit_totals_per_unit(reseller_a_staff, branch_a):
    client = login(reseller_a_staff)
    _move(client, branch_a.wallet.pk, "charge", "7.50")

    response = client.get("/admin/accounts/ledgertransaction/trial-balance/")

    (section,) = response.context["sections"]
    assert section.unit == "EUR"
    assert section.debit == section.credit == Decimal("57.50")
    kinds = {(row["kind"], row["code"]): (row["debit"], row["credit"]) for row in section.rows}
    assert kinds[("Customer pocket", "main")] == (Decimal("7.50"), Decimal("50.00"))
    assert kinds[("Revenue - one-off", "")] == (Decimal("0"), Decimal("7.50"))
    assert "debits equal credits" in response.content.decode()


def test_trial_balance_period_excludes_entries_outside_it(reseller_a_staff, branch_a):
    client = login(reseller_a_staff)

    response = client.get(
        "/admin/accounts/ledgertransaction/trial-balance/",
        {"tenant": branch_a.tenant.pk, "include_resellers": "on", "date_from": "2001-01-01", "date_to": "2001-12-31"},
    )

    assert response.context["sections"] == []


def test_trial_balance_refuses_a_tenant_outside_the_users_subtree(reseller_a_staff, branch_b):
    client = login(reseller_a_staff)

    response = client.get("/admin/accounts/ledgertransaction/trial-balance/", {"tenant": branch_b.tenant.pk})

    assert "tenant" in response.context["form"].errors
    assert response.context["sections"] == []


def test_operator_trial_balance_covers_its_resellers_and_downloads_as_csv(operator_staff, operator, branch_a, branch_b):
    client = login(operator_staff)
    query = {"tenant": operator.pk, "include_resellers": "on"}

    page = client.get("/admin/accounts/ledgertransaction/trial-balance/", query)
    csv = client.get("/admin/accounts/ledgertransaction/trial-balance/", {**query, "format": "csv"})

    (section,) = page.context["sections"]
    assert section.debit == section.credit == Decimal("100.00")
    assert csv["Content-Type"] == "text/csv"
    assert csv.content.decode().splitlines()[-1] == "EUR,TOTAL,,100.0000000000,100.0000000000"
