"""The payments back office: list and page, manual entry, allocation editing, refunds, statement import
with the review queue, the reconciliation report; another tenant's rows answer 404."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from invoicing.models import InvoiceStatus
from invoicing.payments.models import BankStatementLine, Payment
from invoicing.payments.services import payment_record_offline

from .factories import account_with_invoices, credit_of, fresh
from .test_statements import camt053, entry

pytestmark = pytest.mark.django_db
BASE = "/admin/payments"


@pytest.fixture
def staff_client(reseller_a_staff) -> Client:
    client = Client()
    client.force_login(reseller_a_staff)
    return client


def test_payment_list_and_page_show_allocations_and_history(reseller_a, staff_client):
    account, (invoice,) = account_with_invoices(reseller_a, "30.00")
    payment = payment_record_offline(account=account, amount=D("35.00"), gateway="cheque", reference="CHQ-991")

    listing = staff_client.get(f"{BASE}/payment/")
    page = staff_client.get(f"{BASE}/payment/{payment.pk}/change/")

    assert listing.status_code == 200 and "CHQ-991" in listing.content.decode()
    assert "Reconciliation report" in listing.content.decode()
    body = page.content.decode()
    assert page.status_code == 200
    assert invoice.display_number in body and "Edit allocations" in body and "succeeded" in body


def test_manual_payment_entry_records_and_allocates(reseller_a, staff_client):
    account, (invoice, second) = account_with_invoices(reseller_a, "30.00", "20.00")
    form = {
        "account": account.number,
        "amount": "20.00",
        "gateway": "bank_transfer",
        "invoice": second.display_number,
        "purpose": "invoice",
        "reference": "TR-55",
        "idempotency_key": "form-1",
    }

    answers = [staff_client.post(f"{BASE}/payment/add/", form) for _ in range(2)]  # submitted twice

    assert [answer.status_code for answer in answers] == [302, 302]
    (payment,) = Payment.objects.all()
    assert payment.created_by is not None and payment.reference == "TR-55"
    assert fresh(second).status == InvoiceStatus.PAID
    assert fresh(invoice).status == InvoiceStatus.ISSUED


def test_manual_entry_for_an_account_of_another_tenant_is_refused(reseller_b, staff_client):
    account, _ = account_with_invoices(reseller_b, "30.00")

    response = staff_client.post(
        f"{BASE}/payment/add/",
        {"account": account.number, "amount": "5", "gateway": "cash", "purpose": "invoice", "idempotency_key": "x"},
    )

    assert response.status_code == 200 and "No such account" in response.content.decode()
    assert not Payment.objects.exists()


def test_operator_edits_allocations_and_refunds(reseller_a, staff_client):
    account, (first, second) = account_with_invoices(reseller_a, "30.00", "30.00")
    payment = payment_record_offline(account=account, amount=D("30.00"), gateway="cash")

    page = staff_client.get(f"{BASE}/payment/{payment.pk}/allocations/")
    moved = staff_client.post(
        f"{BASE}/payment/{payment.pk}/allocations/",
        {f"invoice_{first.pk}": "10.00", f"invoice_{second.pk}": "15.00", "note": "split"},
    )
    refunded = staff_client.post(f"{BASE}/payment/{payment.pk}/refund/", {"amount": "5.00", "reason": "overcharge"})

    assert page.status_code == 200 and second.display_number in page.content.decode()
    assert (moved.status_code, refunded.status_code) == (302, 302)
    assert (fresh(first).open_amount, fresh(second).open_amount) == (D("20.00"), D("15.00"))
    assert credit_of(account) == D("0.00")
    payment.refresh_from_db()
    assert payment.amount_refunded == D("5.00")


def test_refund_above_what_is_refundable_shows_the_reason(reseller_a, staff_client):
    account, _ = account_with_invoices(reseller_a, "30.00")
    payment = payment_record_offline(account=account, amount=D("30.00"), gateway="cash")

    response = staff_client.post(f"{BASE}/payment/{payment.pk}/refund/", {"amount": "31.00", "reason": "x"})

    assert response.status_code == 200 and "30.00 EUR refundable" in response.content.decode()


def test_statement_upload_then_assign_from_the_review_queue(reseller_a, staff_client):
    _a, (fifty,) = account_with_invoices(reseller_a, "50.00")
    _b, (twenty,) = account_with_invoices(reseller_a, "20.00")
    upload = SimpleUploadedFile(
        "may.xml", camt053(entry("A-1", "50.00", fifty.display_number), entry("A-2", "20.01", "?"))
    )
    defaults = {"date_column": "date", "amount_column": "amount", "currency_column": "currency"}
    defaults |= {"reference_column": "reference", "counterparty_column": "counterparty", "delimiter": ","}

    imported = staff_client.post(
        f"{BASE}/bankstatementimport/add/",
        {"file": upload, "format": "camt053", "tenant": reseller_a.pk, "date_format": "%Y-%m-%d", **defaults},
    )
    queue = staff_client.get(f"{BASE}/bankstatementline/?review=yes")
    line = BankStatementLine.objects.get(bank_ref="A-2")
    assign = staff_client.post(f"{BASE}/bankstatementline/{line.pk}/assign/", {"invoice": twenty.display_number})

    assert imported.status_code == 302, imported.content.decode()[:2000]
    assert fresh(fifty).status == InvoiceStatus.PAID
    assert queue.status_code == 200 and "Assign" in queue.content.decode()
    assert assign.status_code == 302
    assert fresh(twenty).status == InvoiceStatus.PAID


def test_reconciliation_page_lists_received_and_allocated(reseller_a, staff_client):
    account, _ = account_with_invoices(reseller_a, "30.00")
    payment_record_offline(account=account, amount=D("45.00"), gateway="cash")

    response = staff_client.get(f"{BASE}/payment/reconciliation/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "45.00" in body and "30.00" in body and "15.00" in body


def test_another_tenants_payment_page_answers_404(reseller_b, staff_client):
    account, _ = account_with_invoices(reseller_b, "30.00")
    payment = payment_record_offline(account=account, amount=D("30.00"), gateway="cash")

    assert staff_client.get(f"{BASE}/payment/{payment.pk}/change/").status_code == 404
    assert staff_client.get(f"{BASE}/payment/{payment.pk}/refund/").status_code == 404
    assert staff_client.post(f"{BASE}/payment/{payment.pk}/allocations/", {}).status_code == 404
