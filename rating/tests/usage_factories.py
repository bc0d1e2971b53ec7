"""Factories for the usage tests: tariffs as rate-step rows, price plans with usage charges, subscribers.

Everything goes through the real models and services (account_open, wallet_credit, wallet_open), so the
pipeline reads exactly what production data would give it.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from accounts.models import BillingAccount, Tenant
from accounts.models.customers import PaymentMode
from accounts.tests import factories
from rating.models import (
    Charge,
    ChargeKind,
    PricePlan,
    Product,
    ServiceIdentifier,
    Subscription,
    Tariff,
    TariffRateStep,
    UsageFormat,
)

_seq = itertools.count(1)
SINCE = datetime(2024, 1, 1, tzinfo=UTC)

# (prefix, price per rate unit, rate unit, increment[, connect fee])
Step = tuple[Any, ...]


def make_tariff(
    tenant: Tenant,
    *,
    service: str = "voice",
    steps: list[Step] | None = None,
    decimals: int = 4,
    effective_from: datetime = SINCE,
    **fields: Any,
) -> Tariff:
    """A tariff whose rate steps are one row per (prefix, step); default: 0.10 per minute, per second."""
    n = next(_seq)
    tariff = Tariff.objects.create(
        tenant=tenant,
        code=f"{service}-{n}",
        name=f"{service} tariff {n}",
        service=service,
        currency=factories.unit("EUR"),
        decimals=decimals,
        **fields,
    )
    for step in steps or [("*", "0.10", 60, 1)]:
        add_step(tariff, *step, effective_from=effective_from)
    return tariff


def add_step(
    tariff: Tariff,
    prefix: str,
    rate: str,
    rate_unit: int,
    increment: int,
    connect_fee: str = "0",
    *,
    interval_start: int = 0,
    effective_from: datetime = SINCE,
) -> TariffRateStep:
    return TariffRateStep.objects.create(
        tariff=tariff,
        prefix=prefix,
        effective_from=effective_from,
        interval_start=interval_start,
        rate=Decimal(rate),
        rate_unit=rate_unit,
        increment=increment,
        connect_fee=Decimal(connect_fee),
    )


def make_plan(tenant: Tenant, tariffs: list[Tariff]) -> PricePlan:
    n = next(_seq)
    product = Product.objects.create(tenant=tenant, code=f"mobile-{n}", name=f"Mobile {n}")
    plan = PricePlan.objects.create(
        tenant=tenant, product=product, code=f"plan-{n}", name=f"Plan {n}", currency=factories.unit("EUR")
    )
    for tariff in tariffs:
        Charge.objects.create(
            price_plan=plan, code=f"usage-{tariff.service}", name=f"{tariff.service} usage",
            kind=ChargeKind.USAGE, service=tariff.service, tariff=tariff,
        )  # fmt: skip
    return plan


def make_subscriber(
    tenant: Tenant,
    msisdn: str,
    plan: PricePlan | None,
    *,
    mode: str = PaymentMode.PREPAID,
    balance: Decimal | None = None,
    credit_limit: Decimal = Decimal("0"),
    since: datetime = SINCE,
) -> tuple[BillingAccount, Subscription]:
    account = factories.make_account(tenant=tenant, mode=mode, balance=balance, credit_limit=credit_limit)
    product = plan.product if plan else Product.objects.create(tenant=tenant, code=f"p-{next(_seq)}", name="P")
    subscription = Subscription.objects.create(
        account=account, product=product, price_plan=plan, start_date=since.date()
    )
    ServiceIdentifier.objects.create(subscription=subscription, kind="msisdn", value=msisdn, valid_from=since)
    return account, subscription


def preset(code: str) -> UsageFormat:
    """A preset format; recreated from the data migration when a transactional test flushed the table."""
    from rating.services.usage.presets import usage_format_preset

    return usage_format_preset(code)


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def asterisk_line(
    uniqueid: str,
    src: str,
    dst: str,
    start: str,
    billsec: int,
    *,
    answer: str | None = None,
    disposition: str = "ANSWERED",
) -> str:
    """One Master.csv line as Asterisk's cdr_csv writes it: strings quoted, numbers bare."""
    answer = start if answer is None else answer
    began = datetime.fromisoformat(start)
    end = (datetime.fromisoformat(answer or start) + timedelta(seconds=billsec)).isoformat(sep=" ")
    duration = int((datetime.fromisoformat(end) - began).total_seconds())
    return (
        f'"","{src}","{dst}","from-internal","""Caller"" <{src}>","SIP/{src}-0001","SIP/trunk-0002","Dial",'
        f'"SIP/trunk/{dst},60","{start}","{answer}","{end}",{duration},{billsec},"{disposition}",'
        f'"DOCUMENTATION","{uniqueid}",""\n'
    )


NOW = datetime(2024, 3, 6, tzinfo=UTC)


def import_text(
    tenant: Tenant, tmp_path: Path, name: str, text: str, *, code: str = "asterisk-master", **kw: Any
) -> Any:
    """Write `text` to a file and import it as production does (register by checksum, then rate)."""
    from rating.services.usage import usage_file_import, usage_file_register

    path = write(tmp_path, name, text)
    usage_file = usage_file_register(tenant=tenant, usage_format=preset(code), path=path, source="cli")
    return usage_file_import(usage_file=usage_file, now=NOW, **kw)


def call(n: int, src: str = "353871000001", *, billsec: int = 60, dst: str = "34911222333", minute: int = 0) -> str:
    """Asterisk line number `n`: uniqueid 1709632800.<n>, on 5 March 2024 at 10:<minute + n>."""
    return asterisk_line(f"1709632800.{n}", src, dst, f"2024-03-05 10:{minute + n:02d}:00", billsec)
