"""Catalog factories for tests: tariffs with steps, time bands, holidays and price plans (plain ORM rows)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from accounts.models import Tenant
from accounts.tests.factories import unit
from rating.models import Charge, ChargeKind, Holiday, PricePlan, Product, Tariff, TariffRateStep, TimeBand

_seq = itertools.count(1)
SINCE_2024 = datetime(2024, 1, 1, tzinfo=UTC)


def make_tariff(*, tenant: Tenant, service: str = "voice", code: str | None = None, **terms: Any) -> Tariff:
    terms.setdefault("decimals", 2)
    return Tariff.objects.create(
        tenant=tenant,
        code=code or f"{service}-{next(_seq)}",
        name=f"{service.title()} tariff",
        service=service,
        currency=unit(terms.pop("currency", "EUR")),
        **terms,
    )


def make_step(
    tariff: Tariff,
    prefix: str = "34",
    rate: str = "0.10",
    rate_unit: int = 60,
    increment: int = 60,
    *,
    interval_start: int = 0,
    effective_from: datetime = SINCE_2024,
    **fields: Any,
) -> TariffRateStep:
    for money in ("connect_fee", "max_cost"):
        if isinstance(fields.get(money), str):
            fields[money] = Decimal(fields[money])
    return TariffRateStep.objects.create(
        tariff=tariff,
        prefix=prefix,
        rate=Decimal(rate),
        rate_unit=rate_unit,
        increment=increment,
        interval_start=interval_start,
        effective_from=effective_from,
        **fields,
    )


def make_band(
    *, tenant: Tenant, name: str, weekdays: list[int], start: time, end: time, holidays_only: bool = False
) -> TimeBand:
    return TimeBand.objects.create(
        tenant=tenant, name=name, weekdays=weekdays, start=start, end=end, holidays_only=holidays_only
    )


def make_holiday(*, tenant: Tenant, day: Any, name: str = "Holiday") -> Holiday:
    return Holiday.objects.create(tenant=tenant, date=day, name=name)


def make_plan(*, tenant: Tenant, code: str | None = None, tariffs: dict[str, Tariff] | None = None) -> PricePlan:
    """A price plan of a new product with one usage charge per service in `tariffs`."""
    n = next(_seq)
    product = Product.objects.create(tenant=tenant, code=f"product-{n}", name=f"Product {n}")
    plan = PricePlan.objects.create(
        tenant=tenant, product=product, code=code or f"plan-{n}", name=f"Plan {n}", currency=unit("EUR")
    )
    for service, tariff in (tariffs or {}).items():
        Charge.objects.create(
            price_plan=plan, code=f"{service}-usage", name=f"{service} usage", kind=ChargeKind.USAGE,
            service=service, tariff=tariff,
        )  # fmt: skip
    return plan
