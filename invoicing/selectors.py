"""Read queries of invoicing: the set-based loaders that feed the engine, and reads for admin and API.

`billing_inputs_load` turns N accounts into N `BillingInput`s with a fixed number of queries (accounts'
subscriptions with pauses, the plans' charges with tiers, billed periods, pending one-offs, account
discounts, tax rates and settings of the tenants and their ancestors), so a bill run can feed the engine in chunks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import BillingAccount, Tenant
from rating.models import Charge, RatedUsage, Subscription, Tariff

from .models import (
    AccountDiscount,
    BilledCharge,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    OneOffCharge,
    TaxRate,
    TenantBillingSettings,
)
from .services.billing_data import (
    AccountData,
    AccountDiscountData,
    BilledRow,
    BillingInput,
    ChargeData,
    OneOffData,
    SubscriptionData,
    TaxRateData,
    TierData,
    UsageGroup,
)


def tenant_today(tenant: Tenant) -> date:
    return timezone.now().astimezone(ZoneInfo(tenant.timezone)).date()


def day_start(tenant: Tenant, day: date) -> datetime:
    """Midnight starting `day` in the tenant's time zone: usage before it belongs to earlier days."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tenant.timezone))


def _ancestor_ids(tenant: Tenant) -> list[int]:
    return [int(pk) for pk in tenant.path.strip("/").split("/") if pk]


def billing_settings_for(tenant: Tenant) -> TenantBillingSettings:
    """The tenant's settings, else the nearest ancestor's, else the defaults (unsaved)."""
    ancestors = _ancestor_ids(tenant)
    found = {s.tenant_id: s for s in TenantBillingSettings.objects.filter(tenant_id__in=ancestors)}
    for pk in reversed(ancestors):
        if pk in found:
            return found[pk]
    return TenantBillingSettings(tenant=tenant)


# -- usage ---------------------------------------------------------------------------------------
USAGE_GROUPS_SQL = """
WITH target(account_id, invoice_id, cutoff, currency_id) AS (
    SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[], %s::bigint[])
),
picked AS ({picked})
SELECT p.account_id, p.subscription_id, p.service, p.tariff_id, coalesce(tf.name, ''), p.prepaid,
       count(*), coalesce(sum(p.usage), 0), coalesce(sum(p.charged_usage), 0), sum(p.cost), min(p.start), max(p.start)
FROM picked p LEFT JOIN {tariff} tf ON tf.id = p.tariff_id
GROUP BY p.account_id, p.subscription_id, p.service, p.tariff_id, tf.name, p.prepaid
"""
_RETURNED = (
    "u.account_id, u.subscription_id, u.service, u.tariff_id, u.prepaid, u.usage, u.charged_usage, u.cost, u.start"
)
_UNBILLED = (
    "u.account_id = t.account_id AND u.invoice_id IS NULL AND u.start < t.cutoff AND u.currency_id = t.currency_id"
)
SELECT_UNBILLED = f"SELECT {_RETURNED} FROM {{usage}} u JOIN target t ON {_UNBILLED}"  # noqa: S608
# Claiming and summarising in one statement: the invoice sums exactly the rows it marked, even while
# rating keeps inserting (rows committed later simply wait for the next invoice).
CLAIM_UNBILLED = (
    f"UPDATE {{usage}} u SET invoice_id = t.invoice_id FROM target t WHERE {_UNBILLED} RETURNING {_RETURNED}"  # noqa: S608
)


def usage_groups(
    *, cutoffs: dict[int, datetime], accounts: Sequence[BillingAccount], claim_for: dict[int, int] | None = None
) -> dict[int, list[UsageGroup]]:
    """Unbilled rated usage before each account's cutoff, grouped per subscription, service, tariff and
    prepaid flag. With `claim_for` (account id -> invoice id) the rows are marked billed by that invoice
    in the same statement (a write: only the invoice services pass it)."""
    if not accounts:
        return {}
    ids = [a.pk for a in accounts]
    invoice_ids = [(claim_for or {}).get(pk) for pk in ids]
    picked = (CLAIM_UNBILLED if claim_for is not None else SELECT_UNBILLED).format(usage=RatedUsage._meta.db_table)
    sql = USAGE_GROUPS_SQL.format(picked=picked, tariff=Tariff._meta.db_table)
    params = [ids, invoice_ids, [cutoffs[pk] for pk in ids], [a.currency_id for a in accounts]]
    zones = {a.pk: ZoneInfo(a.tenant.timezone) for a in accounts}
    result: dict[int, list[UsageGroup]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for account_id, sub_id, service, tariff_id, tariff, prepaid, n, usage, charged, cost, first, last in cursor:
            zone = zones[account_id]
            result[account_id].append(
                UsageGroup(
                    subscription_id=sub_id,
                    service=service,
                    tariff_id=tariff_id,
                    tariff_name=tariff,
                    prepaid=prepaid,
                    records=n,
                    usage=int(usage),
                    charged_usage=int(charged),
                    cost=cost,
                    first_day=first.astimezone(zone).date(),
                    last_day=last.astimezone(zone).date(),
                )
            )
    return result


# -- the engine's input ----------------------------------------------------------------------------
def _charge_data(charge: Charge) -> ChargeData:
    return ChargeData(
        id=charge.pk,
        code=charge.code,
        name=charge.name,
        kind=charge.kind,
        amount=charge.amount,
        period=charge.period,
        timing=charge.timing,
        tax_category=charge.tax_category,
        quantity_pricing=charge.quantity_pricing,
        tiers=tuple(TierData(t.from_quantity, t.to_quantity, t.unit_price, t.flat_fee) for t in charge.tiers.all()),
        service=charge.service,
        discount_percent=charge.discount_percent,
        discount_applies_to=charge.discount_applies_to,
        discount_periods=charge.discount_periods,
    )


def _plan_start(sub: Subscription, by_id: dict[int, Subscription]) -> date:
    """First day on this plan: follow `replaces` back while the plan stays (quantity changes)."""
    start, current = sub.start_date, sub
    while current.replaces_id and current.replaces_id in by_id:
        previous = by_id[current.replaces_id]
        if previous.price_plan_id != sub.price_plan_id:
            break
        start, current = previous.start_date, previous
    return start


def _subscriptions(account_ids: list[int]) -> dict[int, list[SubscriptionData]]:
    subs = list(
        Subscription.objects.filter(account_id__in=account_ids)
        .select_related("product", "price_plan__currency")
        .prefetch_related("pauses")
    )
    plan_ids = {s.price_plan_id for s in subs if s.price_plan_id}
    charges: dict[int, list[ChargeData]] = defaultdict(list)
    for charge in Charge.objects.filter(price_plan_id__in=plan_ids).prefetch_related("tiers").order_by("pk"):
        charges[charge.price_plan_id].append(_charge_data(charge))
    by_id = {s.pk: s for s in subs}
    result: dict[int, list[SubscriptionData]] = defaultdict(list)
    for sub in subs:
        plan = sub.price_plan
        result[sub.account_id].append(
            SubscriptionData(
                id=sub.pk,
                uuid=str(sub.uuid),
                product=sub.product.name,
                category=sub.product.category,
                plan_code=plan.code if plan else "",
                plan_currency=plan.currency.code if plan else "",
                quantity=sub.quantity,
                start=sub.start_date,
                end=sub.end_date,
                status=sub.status,
                plan_start=_plan_start(sub, by_id),
                is_change=sub.replaces_id is not None,
                pauses=tuple((p.start_date, p.end_date) for p in sub.pauses.all()),
                charges=tuple(charges.get(sub.price_plan_id or 0, ())),
                product_id=sub.product_id,
            )
        )
    return result


def _billed(account_ids: list[int]) -> dict[int, list[BilledRow]]:
    rows = (
        BilledCharge.objects.filter(subscription__account_id__in=account_ids)
        .values_list(
            "subscription__account_id",
            "subscription_id",
            "charge_id",
            "applies_to_charge_id",
            "period_start",
            "period_end",
            "numerator",
            "denominator",
            "full_price",
            "percent",
            "amount",
            "invoice_id",
        )
        .order_by("pk")
    )
    result: dict[int, list[BilledRow]] = defaultdict(list)
    for account_id, *fields in rows:
        result[account_id].append(BilledRow(*fields))
    return result


def _account_discounts(account_ids: list[int], bill_date: date) -> dict[int, list[AccountDiscountData]]:
    """Account discounts in force on `bill_date` with periods left; `used` counts the invoices (not
    cancelled) that already carry their lines."""
    rows = (
        AccountDiscount.objects.filter(account_id__in=account_ids, starts_on__lte=bill_date)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=bill_date))
        .annotate(
            used=Count("lines__invoice", filter=~Q(lines__invoice__status=InvoiceStatus.CANCELLED), distinct=True)
        )
        .order_by("pk")
    )
    result: dict[int, list[AccountDiscountData]] = defaultdict(list)
    for row in rows:
        if row.periods is not None and row.used >= row.periods:
            continue
        result[row.account_id].append(
            AccountDiscountData(
                id=row.pk,
                name=row.name,
                percent=row.percent,
                amount=row.amount,
                periods=row.periods,
                used=row.used,
                applies_to=row.applies_to,
                product_id=row.product_id,
                reference=row.reference,
            )
        )
    return result


def _tax_rates(tenants: Iterable[Tenant]) -> dict[int, tuple[TaxRateData, ...]]:
    chains = {t.pk: _ancestor_ids(t) for t in tenants}
    rates = list(TaxRate.objects.filter(tenant_id__in={pk for chain in chains.values() for pk in chain}))
    result = {}
    for tenant_id, chain in chains.items():
        depth = {pk: len(chain) - 1 - i for i, pk in enumerate(chain)}
        result[tenant_id] = tuple(
            TaxRateData(r.pk, r.category, r.name, r.rate, r.valid_from, r.valid_to, depth[r.tenant_id])
            for r in rates
            if r.tenant_id in depth
        )
    return result


def _settings(tenants: Iterable[Tenant]) -> dict[int, TenantBillingSettings]:
    chains = {t.pk: _ancestor_ids(t) for t in tenants}
    found = {
        s.tenant_id: s
        for s in TenantBillingSettings.objects.filter(tenant_id__in={pk for c in chains.values() for pk in c})
    }
    result = {}
    for tenant_id, chain in chains.items():
        nearest = next((found[pk] for pk in reversed(chain) if pk in found), None)
        result[tenant_id] = nearest or TenantBillingSettings(tenant_id=tenant_id)
    return result


def account_data(account: BillingAccount, settings: TenantBillingSettings) -> AccountData:
    cycle = account.billing_cycle
    return AccountData(
        id=account.pk,
        number=account.number,
        tenant_id=account.tenant_id,
        currency=account.currency.code,
        decimals=account.currency.decimals,
        rounding=account.tenant.rounding,
        payment_mode=account.payment_mode,
        cycle_period=cycle.period if cycle else "month",
        bill_day=cycle.bill_day if cycle else 1,
        thirty_day_months=settings.thirty_day_months,
        payment_terms_days=account.payment_terms_days,
    )


def billing_inputs_load(
    *,
    accounts: Sequence[BillingAccount],
    bill_date: date,
    usage: dict[int, list[UsageGroup]],
    one_off_ids: Iterable[int] | None = None,
    with_subscriptions: bool = True,
) -> dict[int, BillingInput]:
    """The engine's input for each account (accounts fetched with tenant, currency and billing_cycle).

    `usage` comes from `usage_groups` (claimed or not); `one_off_ids` restricts the pending one-offs
    (an operator's one-off invoice); `with_subscriptions=False` leaves subscriptions out.
    """
    ids = [a.pk for a in accounts]
    tenants = {a.tenant_id: a.tenant for a in accounts}
    subs = _subscriptions(ids) if with_subscriptions else {}
    billed = _billed(ids) if with_subscriptions else {}
    # Account discounts go with the cycle invoice, not an operator's one-off invoice.
    discounts = _account_discounts(ids, bill_date) if with_subscriptions else {}
    pending = OneOffCharge.objects.filter(account_id__in=ids, invoice__isnull=True, charge_date__lte=bill_date)
    if one_off_ids is not None:
        pending = pending.filter(pk__in=list(one_off_ids))
    one_offs: dict[int, list[OneOffData]] = defaultdict(list)
    for item in pending.select_related("charge").order_by("charge_date", "pk"):
        one_offs[item.account_id].append(
            OneOffData(
                id=item.pk,
                description=item.description,
                quantity=item.quantity,
                unit_price=item.unit_price,
                charge_date=item.charge_date,
                tax_category=item.tax_category,
                charge_id=item.charge_id,
                kind=item.charge.kind if item.charge else "one_off",
            )
        )
    rates = _tax_rates(tenants.values())
    settings = _settings(tenants.values())
    return {
        a.pk: BillingInput(
            account=account_data(a, settings[a.tenant_id]),
            bill_date=bill_date,
            subscriptions=tuple(subs.get(a.pk, ())),
            billed=tuple(billed.get(a.pk, ())),
            usage=tuple(usage.get(a.pk, ())),
            one_offs=tuple(one_offs.get(a.pk, ())),
            tax_rates=rates[a.tenant_id],
            account_discounts=tuple(discounts.get(a.pk, ())),
        )
        for a in accounts
    }


# -- reads for admin, API and the PDF -------------------------------------------------------------
def invoices_with_details() -> QuerySet[Invoice]:
    return Invoice.objects.select_related("account__customer", "currency", "tenant").prefetch_related(
        Prefetch("lines", queryset=InvoiceLine.objects.select_related("tariff", "charge").order_by("position")),
        "tax_summary",
        "events",
        "credit_notes",
    )


def usage_records_for_line(*, line: InvoiceLine) -> QuerySet[RatedUsage]:
    """The rated records behind a usage line (the call detail of the PDF annex and the API)."""
    if line.kind != "usage":
        return RatedUsage.objects.none()
    filters: dict[str, Any] = {
        "invoice_id": line.invoice_id,
        "service": line.service,
        "subscription_id": line.subscription_id,
        "tariff_id": line.tariff_id,
    }
    if "prepaid" in line.explanation:
        filters["prepaid"] = line.explanation["prepaid"]
    return RatedUsage.objects.filter(**filters).order_by("start", "pk")


def invoice_cutoff(account: BillingAccount, bill_date: date) -> datetime:
    return day_start(account.tenant, bill_date)


def preview_cutoff(account: BillingAccount, as_of: date) -> datetime:
    """A preview counts the usage of `as_of` itself so far."""
    return day_start(account.tenant, as_of + timedelta(days=1))
