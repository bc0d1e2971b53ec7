"""Reactions to other apps' signals: they only queue a task (no business logic runs in a receiver)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from invoicing.models import Invoice
from invoicing.signals import invoice_issued


@receiver(invoice_issued, dispatch_uid="payments.invoice_issued")
def _settle_issued_invoice(sender: Any, invoice: Invoice, **kwargs: Any) -> None:
    """Sent after commit: apply the account's credit to the new invoice and, by policy, auto-pay it."""
    from .tasks import invoice_issued_settle_task

    invoice_issued_settle_task.delay(invoice.pk)
