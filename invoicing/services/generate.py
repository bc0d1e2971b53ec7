"""Creating invoices: load -> compute (the pure engine) -> write; and the preview, which only computes.

`invoices_generate` takes a batch of accounts so the bill run can call it per chunk: the accounts are
locked in pk order, empty draft shells are inserted, the usage is claimed and summarised in one
statement, the engine runs per account and the lines, billed periods and tax summaries are
bulk-inserted. An account with nothing to bill gets no invoice. Running it twice for one bill date
bills nothing twice: billed periods are unique, usage and one-offs are claimed by their invoice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from accounts.models import AuditEvent, BillingAccount
from accounts.models.customers import PaymentMode
from accounts.services import audit_record
from invoicing import selectors
from invoicing.exceptions import InvoiceComputeError, OneOffRefused
from invoicing.models import (
    BilledCharge,
    Invoice,
    InvoiceEvent,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    InvoiceTaxSummary,
    OneOffCharge,
)
from rating.models import Charge

from . import periods
from .billing_data import ComputedInvoice
from .compute import EngineError, invoice_compute
from .lifecycle import invoice_approve, invoice_issue


def _locked_accounts(accounts: Sequence[BillingAccount]) -> list[BillingAccount]:
    return list(
        BillingAccount.objects.select_for_update(of=("self",))
        .select_related("tenant", "currency", "billing_cycle", "customer")
        .filter(pk__in=[a.pk for a in accounts])
        .order_by("pk")
    )


def _compute(data: Any) -> ComputedInvoice:
    try:
        return invoice_compute(data)
    except EngineError as exc:
        raise InvoiceComputeError(f"Account {data.account.number}: {exc}") from exc


def _shell(account: BillingAccount, bill_date: date, actor: Any, bill_run_id: int | None) -> Invoice:
    cycle = account.billing_cycle
    grid = periods.cycle_grid(cycle.period if cycle else "month", cycle.bill_day if cycle else 1)
    period = grid.containing(bill_date - timedelta(days=1))
    return Invoice(
        tenant_id=account.tenant_id,
        account=account,
        kind=InvoiceKind.STATEMENT if account.payment_mode == PaymentMode.PREPAID else InvoiceKind.INVOICE,
        bill_date=bill_date,
        period_start=period.start,
        period_end=bill_date - timedelta(days=1),
        currency_id=account.currency_id,
        bill_run_id=bill_run_id,
        created_by=actor if getattr(actor, "pk", None) else None,
    )


def invoices_write(pairs: Sequence[tuple[Invoice, ComputedInvoice]], *, actor: Any = None, note: str = "") -> None:
    """Persist computed invoices into their saved draft shells: lines, billed periods, one-off claims,
    tax summary, totals, the first history event and an audit event - in bulk."""
    lines: list[InvoiceLine] = []
    billed: list[tuple[InvoiceLine, Any]] = []
    for invoice, computed in pairs:
        for position, item in enumerate(computed.lines, start=1):
            explanation = dict(item.explanation)
            line = InvoiceLine(
                invoice=invoice,
                position=position,
                kind=item.kind,
                revenue=item.revenue,
                description=item.description[:255],
                subscription_id=item.subscription_id,
                charge_id=item.charge_id,
                tariff_id=item.tariff_id,
                service=item.service,
                period_start=item.period_start,
                period_end=item.period_end,
                quantity=item.quantity,
                unit_price=item.unit_price,
                proration_numerator=item.numerator,
                proration_denominator=item.denominator,
                amount=item.amount,
                tax_category=item.tax_category,
                tax_rate=item.tax_rate,
                tax_rate_ref_id=item.tax_rate_id,
                tax_name=item.tax_name,
                tax_amount=item.tax_amount,
                explanation=explanation,
                account_discount_id=item.account_discount_id,
            )
            lines.append(line)
            if item.billed is not None:
                billed.append((line, item.billed))
    InvoiceLine.objects.bulk_create(lines)
    BilledCharge.objects.bulk_create(
        BilledCharge(
            subscription_id=key.subscription_id,
            charge_id=key.charge_id,
            applies_to_charge_id=key.applies_to_charge_id,
            kind=key.kind,
            period_start=key.period_start,
            period_end=key.period_end,
            numerator=key.numerator,
            denominator=key.denominator,
            full_price=key.full_price,
            percent=key.percent,
            amount=key.amount,
            invoice=line.invoice,
            line=line,
        )
        for line, key in billed
    )
    for invoice, computed in pairs:
        one_off_ids = [item.one_off_id for item in computed.lines if item.one_off_id]
        if one_off_ids:
            claimed = OneOffCharge.objects.filter(pk__in=one_off_ids, invoice__isnull=True).update(invoice=invoice)
            if claimed != len(one_off_ids):
                raise InvoiceComputeError("A one-off charge was billed by another invoice meanwhile; retry.")
        invoice.kind = computed.kind
        invoice.period_start, invoice.period_end = computed.period_start, computed.period_end
        invoice.subtotal, invoice.tax_total, invoice.total = computed.subtotal, computed.tax_total, computed.total
    Invoice.objects.bulk_update(
        [invoice for invoice, _ in pairs], ["kind", "period_start", "period_end", "subtotal", "tax_total", "total"]
    )
    InvoiceTaxSummary.objects.bulk_create(
        InvoiceTaxSummary(
            invoice=invoice,
            tax_rate_id=tax.tax_rate_id,
            name=tax.name,
            rate=tax.rate,
            base=tax.base,
            tax_amount=tax.tax_amount,
        )
        for invoice, computed in pairs
        for tax in computed.taxes
    )
    user = actor if getattr(actor, "pk", None) else None
    InvoiceEvent.objects.bulk_create(
        InvoiceEvent(invoice=invoice, actor=user, to_status=InvoiceStatus.DRAFT, note=note) for invoice, _ in pairs
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(
            tenant_id=invoice.tenant_id,
            actor=user,
            action="invoice.create",
            object_type="invoicing.invoice",
            object_id=str(invoice.pk),
            after={"total": str(invoice.total), "lines": len(computed.lines)},
        )
        for invoice, computed in pairs
    )


def invoices_generate(
    *, accounts: Sequence[BillingAccount], bill_date: date, actor: Any = None, bill_run_id: int | None = None
) -> dict[int, Invoice | None]:
    """Draft invoices (statements for prepaid accounts) of `accounts` for `bill_date`; None where
    nothing is due. Locks the accounts in pk order; one transaction for the batch."""
    with transaction.atomic():
        locked = _locked_accounts(accounts)
        shells = Invoice.objects.bulk_create([_shell(a, bill_date, actor, bill_run_id) for a in locked])
        by_account = {invoice.account_id: invoice for invoice in shells}
        usage = selectors.usage_groups(
            cutoffs={a.pk: selectors.invoice_cutoff(a, bill_date) for a in locked},
            accounts=locked,
            claim_for={pk: invoice.pk for pk, invoice in by_account.items()},
        )
        inputs = selectors.billing_inputs_load(accounts=locked, bill_date=bill_date, usage=usage)
        computed = {a.pk: _compute(inputs[a.pk]) for a in locked}
        filled = [(by_account[pk], result) for pk, result in computed.items() if result.lines]
        empty = [by_account[pk].pk for pk, result in computed.items() if not result.lines]
        invoices_write(filled, actor=actor, note="Created by a bill run" if bill_run_id else "Created")
        Invoice.objects.filter(pk__in=empty).delete()
        return {pk: (by_account[pk] if computed[pk].lines else None) for pk in computed}


def invoice_generate(*, account: BillingAccount, bill_date: date, actor: Any = None) -> Invoice | None:
    """One account's draft invoice for `bill_date` outside any run (see `invoices_generate`)."""
    return invoices_generate(accounts=[account], bill_date=bill_date, actor=actor)[account.pk]


def invoice_preview(*, account: BillingAccount, as_of: date | None = None) -> ComputedInvoice:
    """What this account's invoice would be if it were billed on `as_of` (default: today in the tenant's
    zone), computed by the same engine; today's usage so far counts. Creates and locks nothing."""
    account = BillingAccount.objects.select_related("tenant", "currency", "billing_cycle").get(pk=account.pk)
    as_of = as_of or selectors.tenant_today(account.tenant)
    usage = selectors.usage_groups(cutoffs={account.pk: selectors.preview_cutoff(account, as_of)}, accounts=[account])
    data = selectors.billing_inputs_load(accounts=[account], bill_date=as_of, usage=usage)[account.pk]
    return _compute(data)


@dataclass(frozen=True)
class OneOffItem:
    """What an operator charges: a catalog charge (its price by default) or a described manual amount."""

    description: str = ""
    unit_price: Decimal | None = None
    quantity: Decimal = Decimal("1")
    tax_category: str = ""
    charge: Charge | None = None


def one_off_charge_create(
    *, account: BillingAccount, item: OneOffItem, charge_date: date | None = None, actor: Any = None
) -> OneOffCharge:
    """A pending one-off charge, billed by the account's next invoice dated on or after `charge_date`."""
    if account.payment_mode == PaymentMode.PREPAID:
        raise OneOffRefused("A prepaid account pays one-off charges from its balance, not by invoice.")
    charge = item.charge
    if charge is not None and not account.tenant.path.startswith(charge.price_plan.tenant.path):
        raise OneOffRefused("The charge is not in the catalog of the account's tenant.")
    unit_price = item.unit_price if item.unit_price is not None else (charge.amount if charge else None)
    if unit_price is None or not (item.description or charge):
        raise OneOffRefused("A manual one-off charge needs a description and a unit price.")
    if item.quantity <= 0:
        raise OneOffRefused("The quantity must be positive.")
    with transaction.atomic():
        one_off = OneOffCharge.objects.create(
            account=account,
            charge=charge,
            description=item.description or (charge.name if charge else ""),
            quantity=item.quantity,
            unit_price=unit_price,
            tax_category=item.tax_category
            or (charge.tax_category or charge.price_plan.product.category if charge else ""),
            charge_date=charge_date or selectors.tenant_today(account.tenant),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            action="one_off_charge.create",
            obj=one_off,
            actor=actor,
            tenant=account.tenant,
            after={"description": one_off.description, "amount": str(unit_price * item.quantity)},
        )
        return one_off


def invoice_one_off_create(
    *,
    account: BillingAccount,
    items: Sequence[OneOffItem],
    actor: Any = None,
    issue: bool = True,
    charge_date: date | None = None,
) -> Invoice:
    """An operator's invoice of `items` for one account, outside any run: created, then approved and
    issued unless `issue` is False. Subscriptions and usage are left to the account's cycle."""
    if not items:
        raise OneOffRefused("A one-off invoice needs at least one charge.")
    with transaction.atomic():
        (locked,) = _locked_accounts([account])
        day = charge_date or selectors.tenant_today(locked.tenant)
        created = [one_off_charge_create(account=locked, item=item, charge_date=day, actor=actor) for item in items]
        shell = _shell(locked, day, actor, None)
        shell.save()
        data = selectors.billing_inputs_load(
            accounts=[locked], bill_date=day, usage={}, one_off_ids=[c.pk for c in created], with_subscriptions=False
        )[locked.pk]
        computed = _compute(data)
        # Outside any cycle: the invoice covers the day of its charges.
        computed.period_start = computed.period_end = day
        invoices_write([(shell, computed)], actor=actor, note="One-off invoice")
        if issue:
            invoice_approve(invoice=shell, actor=actor)
            invoice_issue(invoice=shell, actor=actor, issue_date=day)
        shell.refresh_from_db()
        return shell
