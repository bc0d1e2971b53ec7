"""Thin Celery tasks over the payments services (ids in, counts out; retries in the task)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from .services.auto_pay import auto_pay_run_due, invoice_issued_settle
from .services.execute import payments_reconcile_unknown


@shared_task(
    name="payments.invoice_issued_settle_task", acks_late=True, autoretry_for=(OperationalError,), max_retries=3
)
def invoice_issued_settle_task(invoice_id: int) -> None:
    invoice_issued_settle(invoice_id=invoice_id)


@shared_task(name="payments.auto_pay_run_due_task", acks_late=True)
def auto_pay_run_due_task() -> dict[str, int]:
    return auto_pay_run_due()


@shared_task(name="payments.payments_reconcile_unknown_task", acks_late=True)
def payments_reconcile_unknown_task() -> dict[str, int]:
    return payments_reconcile_unknown()
