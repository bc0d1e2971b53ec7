"""Two deliveries of one outcome racing on real connections still pay once."""

from __future__ import annotations

import threading
from decimal import Decimal as D

import pytest
from django.db import connection

from accounts.models import LedgerTransaction
from invoicing.payments.models import Gateway, PaymentMethod
from invoicing.payments.services import payment_create, payment_succeed

from .factories import account_with_invoices, fresh


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_successes_of_one_payment_post_once(operator):
    account, (invoice,) = account_with_invoices(operator, "40.00")
    payment = payment_create(account=account, amount=D("40.00"), gateway=Gateway.STRIPE, method=PaymentMethod.CARD)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            start.wait()
            payment_succeed(payment=payment, gateway_payment_id="pi_race")
        except BaseException as exc:  # reported below; a thread must not die silently
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert LedgerTransaction.objects.filter(reference=f"payment:{payment.uuid}").count() == 1
    assert fresh(invoice).amount_paid == D("40.00")
