"""Turns invoicing's `invoice_paid` (sent after commit) into the rewards task: no logic here."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from django.dispatch import receiver

from invoicing.models import Invoice
from invoicing.signals import invoice_paid

from .tasks import invoice_paid_rewards_task

logger = logging.getLogger(__name__)


@receiver(invoice_paid, sender=Invoice, dispatch_uid="promotions.invoice_paid")
def on_invoice_paid(sender: Any, invoice: Invoice, paid_on: date, **kwargs: Any) -> None:
    try:
        invoice_paid_rewards_task.delay(invoice.pk, paid_on.isoformat())
    except Exception:
        # The payment is committed already; the daily run grants whatever this missed.
        logger.exception("Could not queue the rewards of paid invoice %s", invoice.pk)
