"""Auto-pay: invoices of accounts with a saved default card are charged off-session on their issue or
due date (the tenant's policy), and a failed charge is retried on the policy's schedule (e.g. 1, 3
and 7 days later). Each attempt is a row unique per (invoice, number), so a run repeated the same day
charges nothing twice; its payment has the deterministic idempotency key `autopay-<invoice>-<n>`.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from accounts.models import BillingAccount, Tenant
from invoicing import selectors as invoicing_selectors
from invoicing.models import Invoice, InvoiceKind
from invoicing.payments.gateways.stripe import stripe_enabled
from invoicing.payments.models import (
    AutoPayAttempt,
    AutoPayAttemptStatus,
    AutoPayCharge,
    AutoPayPolicy,
    Gateway,
    Payment,
    PaymentMethod,
    PaymentStatus,
    SavedPaymentMethod,
    StripeCustomer,
)
from invoicing.services.lifecycle import OPEN_STATUSES

from .allocation import account_credit_apply
from .execute import payment_execute
from .payments import payment_create

ZERO = Decimal("0")
A = AutoPayAttemptStatus
ATTEMPT_STATUS = {
    PaymentStatus.SUCCEEDED: A.SUCCEEDED,
    PaymentStatus.FAILED: A.FAILED,
    PaymentStatus.UNKNOWN: A.UNKNOWN,
    PaymentStatus.STARTED: A.STARTED,
}


def auto_pay_policy_for(tenant: Tenant) -> AutoPayPolicy:
    """The tenant's policy, else the nearest ancestor's, else the defaults (on the due date; 1, 3, 7)."""
    ancestors = [int(pk) for pk in tenant.path.strip("/").split("/") if pk]
    found = {p.tenant_id: p for p in AutoPayPolicy.objects.filter(tenant_id__in=ancestors)}
    for pk in reversed(ancestors):
        if pk in found:
            return found[pk]
    return AutoPayPolicy(tenant=tenant)


def auto_pay_enrolled(account: BillingAccount) -> bool:
    return (
        StripeCustomer.objects.filter(account=account, auto_pay=True).exists()
        and SavedPaymentMethod.objects.filter(account=account, is_default=True).exists()
    )


def auto_pay_schedule(*, invoice: Invoice, day: date, number: int = 1) -> AutoPayAttempt:
    attempt, _created = AutoPayAttempt.objects.get_or_create(
        invoice=invoice, number=number, defaults={"scheduled_for": day}
    )
    return attempt


def invoice_issued_settle(*, invoice_id: int) -> None:
    """After an invoice is issued: apply the account's credit to it, then (policy "on issue") charge
    the saved card for what is still open."""
    invoice = Invoice.objects.select_related("account", "tenant").get(pk=invoice_id)
    if invoice.kind != InvoiceKind.INVOICE:
        return
    account_credit_apply(account=invoice.account)
    policy = auto_pay_policy_for(invoice.tenant)
    if not (stripe_enabled() and policy.enabled and policy.charge_on == AutoPayCharge.ON_ISSUE):
        return
    if auto_pay_enrolled(invoice.account):
        auto_pay_attempt_run(
            attempt=auto_pay_schedule(invoice=invoice, day=invoicing_selectors.tenant_today(invoice.tenant))
        )


def auto_pay_run_due(*, today: date | None = None) -> dict[str, int]:
    """The daily job: schedule first attempts for invoices due (policy "on due date"), then run every
    attempt scheduled up to today. Idempotent per day."""
    if not stripe_enabled():
        return {}
    day = today or date.today()
    due = (
        Invoice.objects.filter(kind=InvoiceKind.INVOICE, status__in=OPEN_STATUSES, due_date__lte=day)
        .filter(auto_pay_attempts__isnull=True, account__stripe_customer__auto_pay=True)
        .filter(account__payment_methods__is_default=True)
        .select_related("tenant")
        .distinct()
    )
    for invoice in due.order_by("pk"):
        policy = auto_pay_policy_for(invoice.tenant)
        if policy.enabled and policy.charge_on == AutoPayCharge.ON_DUE:
            auto_pay_schedule(invoice=invoice, day=day)
    counts: dict[str, int] = {}
    for attempt in AutoPayAttempt.objects.filter(status=A.SCHEDULED, scheduled_for__lte=day).order_by("pk"):
        result = auto_pay_attempt_run(attempt=attempt)
        counts[result.status] = counts.get(result.status, 0) + 1
    return counts


def auto_pay_attempt_run(*, attempt: AutoPayAttempt, actor: Any = None) -> AutoPayAttempt:
    """Charge one scheduled attempt: the invoice's open amount on the default card, off session.
    Skipped when nothing is open or no card is saved. Locks the attempt while creating its payment."""
    with transaction.atomic():
        locked = AutoPayAttempt.objects.select_for_update().select_related("invoice__account").get(pk=attempt.pk)
        if locked.status != A.SCHEDULED:
            return locked
        invoice = locked.invoice
        if invoice.status not in OPEN_STATUSES or invoice.open_amount <= ZERO or not auto_pay_enrolled(invoice.account):
            locked.status, locked.note = A.SKIPPED, "nothing open or no saved card"
            locked.save(update_fields=["status", "note"])
            return locked
        locked.payment = payment_create(
            account=invoice.account,
            amount=invoice.open_amount,
            gateway=Gateway.STRIPE,
            method=PaymentMethod.CARD,
            invoice=invoice,
            auto_pay=True,
            idempotency_key=f"autopay-{invoice.uuid}-{locked.number}",
            actor=actor,
        )
        locked.status = A.STARTED
        locked.save(update_fields=["payment", "status"])
    payment_execute(payment=locked.payment, actor=actor)
    locked.refresh_from_db()
    return locked


def auto_pay_after_outcome(*, payment: Payment) -> None:
    """Keep the attempt in step with its payment; a failure schedules the next retry of the policy."""
    if not payment.auto_pay:
        return
    with transaction.atomic():
        attempt = AutoPayAttempt.objects.select_for_update().filter(payment=payment).select_related("invoice").first()
        status = ATTEMPT_STATUS.get(payment.status)
        if attempt is None or status is None or attempt.status == status:
            return
        attempt.status = status
        attempt.note = payment.failure_reason[:255]
        attempt.save(update_fields=["status", "note"])
        retry_days = auto_pay_policy_for(attempt.invoice.tenant).retry_days
        if status == A.FAILED and attempt.number <= len(retry_days):
            today = invoicing_selectors.tenant_today(attempt.invoice.tenant)
            wait = timedelta(days=retry_days[attempt.number - 1])
            auto_pay_schedule(invoice=attempt.invoice, day=today + wait, number=attempt.number + 1)
