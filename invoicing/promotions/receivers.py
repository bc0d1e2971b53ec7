"""Turns invoicing's `invoice_paid` (sent after commit) into the rewards task: no logic here."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.dispatch import receiver

from invoicing.models import Invoice
from invoicing.signals import invoice_paid


@receiver(invoice_paid, sender=Invoice, dispatch_uid="promotions.invoice_paid")
def on_invoice_paid(sender: Any, invoice: Invoice, paid_on: date, **kwargs: Any) -> None:
    from .tasks import invoice_paid_rewards_task

    invoice_paid_rewards_task.delay(invoice.pk, paid_on.isoformat())
