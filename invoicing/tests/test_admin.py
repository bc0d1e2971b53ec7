"""Back office: scoped to the tenant tree, read-only invoices with lines and history, transition actions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.test import Client

from invoicing.models import InvoiceStatus
from invoicing.services import OneOffItem, invoice_generate, one_off_charge_create
from invoicing.tests.factories import make_postpaid

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(reseller_a):
    account = make_postpaid(reseller_a)
    one_off_charge_create(
        account=account, item=OneOffItem(description="Router fee", unit_price=D("50.00")), charge_date=date(2024, 3, 1)
    )
    return invoice_generate(account=account, bill_date=date(2024, 3, 1))


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_invoice_page_shows_lines_and_history_read_only(draft, reseller_a_staff):
    response = logged_in(reseller_a_staff).get(f"/admin/invoicing/invoice/{draft.pk}/change/")

    assert response.status_code == 200
    assert b"Router fee" in response.content
    assert b"history" in response.content.lower()
    assert b'name="total"' not in response.content


def test_another_resellers_invoice_is_a_404_and_absent_from_the_list(draft, reseller_b):
    from accounts.tests.factories import make_staff

    outsider = logged_in(make_staff(tenant=reseller_b))

    assert outsider.get(f"/admin/invoicing/invoice/{draft.pk}/change/").status_code == 404
    assert b"Router fee" not in outsider.get("/admin/invoicing/invoice/").content


def test_approve_and_issue_actions_call_the_services(draft, reseller_a_staff):
    client = logged_in(reseller_a_staff)

    for action in ("approve_selected", "issue_selected"):
        client.post("/admin/invoicing/invoice/", {"action": action, "_selected_action": [draft.pk]})
    draft.refresh_from_db()

    assert (draft.status, draft.display_number) == (InvoiceStatus.ISSUED, "INV-000001")


def test_an_action_from_a_wrong_state_reports_the_error_and_changes_nothing(draft, reseller_a_staff):
    response = logged_in(reseller_a_staff).post(
        "/admin/invoicing/invoice/", {"action": "issue_selected", "_selected_action": [draft.pk]}, follow=True
    )

    assert b"only approved invoices can be" in response.content
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.DRAFT


@pytest.mark.parametrize(
    "model",
    ["invoice", "creditnote", "taxrate", "tenantbillingsettings", "oneoffcharge", "numberseries", "billedcharge"],
)
def test_every_invoicing_changelist_opens_for_tenant_staff(draft, reseller_a_staff, model):
    assert logged_in(reseller_a_staff).get(f"/admin/invoicing/{model}/").status_code == 200


def test_a_manual_charge_added_in_the_back_office_goes_through_the_service(reseller_a, reseller_a_staff):
    from accounts.models import AuditEvent
    from invoicing.models import OneOffCharge

    account = make_postpaid(reseller_a)

    response = logged_in(reseller_a_staff).post(
        "/admin/invoicing/oneoffcharge/add/",
        {
            "account": account.pk,
            "description": "Cable",
            "quantity": "2",
            "unit_price": "3.50",
            "tax_category": "",
            "charge_date": "2024-03-01",
        },
    )

    assert response.status_code == 302
    charge = OneOffCharge.objects.get()
    assert (charge.account, charge.unit_price, charge.invoice) == (account, D("3.5"), None)
    assert AuditEvent.objects.filter(action="one_off_charge.create", object_id=str(charge.pk)).exists()
