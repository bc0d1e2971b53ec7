"""Gapless numbering per tenant and series, under concurrent issuers, with the unique constraint behind it."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, connection, transaction

from invoicing.models import Invoice
from invoicing.services import OneOffItem, invoice_approve, invoice_generate, invoice_issue, one_off_charge_create
from invoicing.tests.factories import make_postpaid


def approved_invoices(tenant, count: int) -> list[Invoice]:
    invoices = []
    for _ in range(count):
        account = make_postpaid(tenant)
        one_off_charge_create(
            account=account, item=OneOffItem(description="Fee", unit_price=D("1.00")), charge_date=date(2024, 3, 1)
        )
        invoices.append(invoice_approve(invoice=invoice_generate(account=account, bill_date=date(2024, 3, 1))))
    return invoices


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_issuers_get_numbers_one_to_ten_without_gaps_or_duplicates(operator):
    invoices = approved_invoices(operator, 10)
    start = threading.Barrier(len(invoices))
    errors: list[BaseException] = []

    def issue(invoice: Invoice) -> None:
        try:
            start.wait()
            invoice_issue(invoice=invoice)
        except BaseException as exc:  # collected and asserted on the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(invoice,)) for invoice in invoices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = sorted(Invoice.objects.filter(tenant=operator).values_list("number", flat=True))
    assert numbers == list(range(1, 11))


@pytest.mark.django_db
def test_tenants_number_independently_and_a_rolled_back_issue_leaves_no_gap(operator, reseller_a):
    first, second = approved_invoices(operator, 2)
    (reseller_invoice,) = approved_invoices(reseller_a, 1)

    with pytest.raises(RuntimeError), transaction.atomic():
        invoice_issue(invoice=first)
        raise RuntimeError("the issuing transaction fails after taking the number")
    issued = invoice_issue(invoice=second)
    other = invoice_issue(invoice=reseller_invoice)

    assert (issued.number, other.number) == (1, 1)


@pytest.mark.django_db
def test_the_database_refuses_a_duplicate_number_in_a_series(operator):
    first, second = approved_invoices(operator, 2)
    invoice_issue(invoice=first)

    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=second.pk).update(status="issued", series="INV", number=1)
