"""Thin Celery tasks over the promotions services (retried: every service they call is idempotent)."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from invoicing.models import Invoice

from .services import invoice_paid_rewards, promotions_daily


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def invoice_paid_rewards_task(invoice_id: int, paid_on: str) -> int:
    invoice = Invoice.objects.select_related("account__tenant", "account__customer", "currency").get(pk=invoice_id)
    return invoice_paid_rewards(invoice=invoice, paid_on=date.fromisoformat(paid_on))


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def promotions_daily_task() -> dict[str, int]:
    return vars(promotions_daily())
