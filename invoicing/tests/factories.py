"""Factories for invoicing tests: catalog, subscriptions, usage and tax rates, through the real models."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from accounts.models import BillingAccount, BillingCycle, LedgerAccountKind, Tenant
from accounts.models.customers import PaymentMode
from accounts.models.ledger import TransactionKind
from accounts.services import Leg, account_open, account_receivable, ledger_post, ledger_system_account
from accounts.tests.factories import make_customer, unit
from invoicing.models import Invoice, TaxRate, TenantBillingSettings
from invoicing.services import invoice_mark_paid
from rating.models import Charge, ChargeTier, PricePlan, Product, RatedUsage, Subscription, Tariff

_seq = itertools.count(1)


def make_cycle(tenant: Tenant, *, period: str = "month", bill_day: int = 1) -> BillingCycle:
    n = next(_seq)
    return BillingCycle.objects.create(
        tenant=tenant, code=f"c{n}", name=f"{period} on {bill_day}", period=period, bill_day=bill_day
    )


def make_postpaid(
    tenant: Tenant,
    *,
    cycle: BillingCycle | None = None,
    terms: int = 14,
    mode: str = PaymentMode.POSTPAID,
    currency: str = "EUR",
) -> BillingAccount:
    return account_open(
        customer=make_customer(tenant=tenant),
        number=f"B{next(_seq):07d}",
        currency=unit(currency),
        payment_mode=mode,
        credit_limit=Decimal("0") if mode == PaymentMode.PREPAID else Decimal("1000"),
        billing_cycle=cycle or make_cycle(tenant),
        payment_terms_days=terms,
    )


def make_plan(tenant: Tenant, *, category: str = "telecom", currency: str = "EUR", name: str = "Mobile") -> PricePlan:
    n = next(_seq)
    product = Product.objects.create(tenant=tenant, code=f"p{n}", name=name, category=category)
    return PricePlan.objects.create(
        tenant=tenant, product=product, code=f"plan{n}", name=f"{name} plan", currency=unit(currency)
    )


def add_charge(plan: PricePlan, *, kind: str = "recurring", amount: str = "0", **fields: Any) -> Charge:
    n = next(_seq)
    fields.setdefault("name", f"{kind} {n}")
    if kind == "recurring":
        fields.setdefault("period", "month")
    return Charge.objects.create(price_plan=plan, code=f"ch{n}", kind=kind, amount=Decimal(amount), **fields)


def add_tier(charge: Charge, low: str, high: str | None, price: str, fee: str = "0") -> ChargeTier:
    return ChargeTier.objects.create(
        charge=charge,
        from_quantity=Decimal(low),
        to_quantity=Decimal(high) if high else None,
        unit_price=Decimal(price),
        flat_fee=Decimal(fee),
    )


def subscribe(
    account: BillingAccount, plan: PricePlan, start: date, *, end: date | None = None, quantity: int = 1
) -> Subscription:
    return Subscription.objects.create(
        account=account, product=plan.product, price_plan=plan, quantity=quantity, start_date=start, end_date=end
    )


def monthly_plan(tenant: Tenant, amount: str, *, timing: str = "advance", **plan_fields: Any) -> PricePlan:
    plan = make_plan(tenant, **plan_fields)
    add_charge(plan, amount=amount, timing=timing, name="Monthly fee")
    return plan


def tax_rate(tenant: Tenant, percent: str, *, category: str = "", since: date = date(2000, 1, 1)) -> TaxRate:
    return TaxRate.objects.create(
        tenant=tenant, category=category, name=f"VAT {percent}%", rate=Decimal(percent), valid_from=since
    )


def thirty_day_months(tenant: Tenant) -> TenantBillingSettings:
    return TenantBillingSettings.objects.create(tenant=tenant, thirty_day_months=True)


def make_tariff(tenant: Tenant, *, service: str = "voice", name: str = "National") -> Tariff:
    n = next(_seq)
    return Tariff.objects.create(tenant=tenant, code=f"tf{n}", name=name, service=service, currency=unit("EUR"))


def rate_usage(
    account: BillingAccount,
    cost: str,
    when: datetime,
    *,
    subscription: Subscription | None = None,
    tariff: Tariff | None = None,
    service: str = "voice",
    usage: int = 60,
    prepaid: bool = False,
) -> RatedUsage:
    n = next(_seq)
    return RatedUsage.objects.create(
        tenant=account.tenant,
        account=account,
        subscription=subscription,
        record_key=f"r{n}",
        service=service,
        start=when,
        destination="34911",
        usage=usage,
        charged_usage=usage,
        cost=Decimal(cost),
        currency=account.currency,
        tariff=tariff,
        prepaid=prepaid,
    )


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def pay(invoice: Invoice, amount: str) -> Invoice:
    """What the payments service will do: post cash against the receivable, then mark the invoice paid."""
    value = Decimal(amount)
    cash = ledger_system_account(tenant=invoice.tenant, kind=LedgerAccountKind.CASH, unit=invoice.currency, code="bank")
    ledger_post(
        tenant=invoice.tenant,
        kind=TransactionKind.PAYMENT,
        description="payment",
        legs=[Leg(account_receivable(account=invoice.account), value), Leg(cash, -value)],
    )
    return invoice_mark_paid(invoice=invoice, amount=value)


def amounts(invoice: Invoice) -> list[tuple[str, Decimal]]:
    """(kind, amount) of each line, in order: what the exact-amount assertions compare."""
    return [(line.kind, line.amount) for line in invoice.lines.order_by("position")]


def bill(account: BillingAccount, day: date) -> Invoice | None:
    """Generate, approve and issue the account's invoice for bill date `day` (None: nothing due)."""
    from invoicing.services import invoice_approve, invoice_generate, invoice_issue

    invoice = invoice_generate(account=account, bill_date=day)
    if invoice is None:
        return None
    invoice_approve(invoice=invoice)
    return invoice_issue(invoice=invoice, issue_date=day)
