"""The usage part of the demo: tariffs and price plans for the demo products, then a day of CDR/EDR files
(yesterday) for the demo MSISDNs, imported and rated as production does it.

- Tariffs per tenant that sells (Acme for itself and Bluewave, Sol its own) and per account currency (EUR,
  USD): voice by destination prefix with a weekday peak band (60/1 billing), SMS per message, data per MB
  charged per KB. One price plan per product and currency; demo subscriptions without a plan get theirs.
- Files: Acme's Asterisk Master.csv (its and Bluewave's calls), Sol's FreeSWITCH Master.csv, Acme's EDR
  file of SMS and data sessions - each with a few bad lines (a malformed billsec, an unknown number, an end
  before its start, an unknown service, a truncated last line) so the rejects queue has work.
- Idempotent: tariffs and plans by code; a day's file already imported (by name) is not written again.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from accounts.demo import DemoContext
from accounts.models import Tenant, Unit

from .models import (
    Charge,
    ChargeKind,
    PricePlan,
    Product,
    Subscription,
    Tariff,
    TariffRateStep,
    TimeBand,
    UsageFile,
    UsageSource,
)
from .services.usage import usage_file_import, usage_file_register
from .services.usage.inbox import usage_file_archive
from .services.usage.presets import usage_format_preset
from .services.usage.runs import rating_run_finish, rating_run_start

SINCE = datetime(2024, 1, 1)
# prefix, destination, per-minute price off-peak, peak price (None: any time)
VOICE = [
    ("353", "Ireland fixed", "0.05", "0.08"),
    ("35383", "Ireland mobile", "0.09", "0.12"),
    ("35385", "Ireland mobile", "0.09", "0.12"),
    ("35386", "Ireland mobile", "0.09", "0.12"),
    ("35387", "Ireland mobile", "0.09", "0.12"),
    ("34", "Spain", "0.07", None),
    ("346", "Spain mobile", "0.11", None),
    ("44", "United Kingdom", "0.12", None),
    ("1", "USA and Canada", "0.10", None),
    ("*", "Rest of the world", "0.60", None),
]
SMS = [("353", "Ireland", "0.06"), ("34", "Spain", "0.06"), ("*", "International", "0.12")]
CALLED = ["35312345678", "35387", "35386", "35385", "34911222333", "346", "442071234567", "12125551234", "81312345678"]


def _band(tenant: Tenant) -> TimeBand:
    band, _ = TimeBand.objects.get_or_create(
        tenant=tenant, name="peak", defaults={"weekdays": [0, 1, 2, 3, 4], "start": time(8), "end": time(20)}
    )
    return band


def _step(
    tariff: Tariff, prefix: str, destination: str, rate: str, unit: int, increment: int, **kw: object
) -> TariffRateStep:
    return TariffRateStep(
        tariff=tariff, prefix=prefix, destination=destination, effective_from=datetime.combine(SINCE, time.min,
        tzinfo=ZoneInfo("UTC")), rate=Decimal(rate), rate_unit=unit, increment=increment, **kw,
    )  # fmt: skip


def _tariffs(ctx: DemoContext, tenant: Tenant, currency: Unit) -> dict[str, Tariff]:
    suffix = "" if currency.code == "EUR" else f"-{currency.code.lower()}"
    found = {
        t.service: t
        for t in Tariff.objects.filter(tenant=tenant, code__in=[f"demo-{s}{suffix}" for s in ("voice", "sms", "data")])
    }
    if len(found) == 3:
        return found
    peak = _band(tenant)
    made = {}
    for service in ("voice", "sms", "data"):
        defaults = {"name": f"Demo {service} ({currency.code})", "service": service, "currency": currency}
        tariff, created = Tariff.objects.get_or_create(
            tenant=tenant, code=f"demo-{service}{suffix}", defaults={**defaults, "decimals": 4}
        )
        made[service] = tariff
        ctx.created["tariffs"] += created
        if not created:
            continue
        steps = []
        if service == "voice":
            for prefix, name, rate, peak_rate in VOICE:
                fee = {"connect_fee": Decimal("0.02")} if prefix == "*" else {}
                for band, price in ((None, rate), (peak, peak_rate)):
                    if price is None:
                        continue
                    steps.append(_step(tariff, prefix, name, price, 60, 60, time_band=band, **fee))
                    steps.append(_step(tariff, prefix, name, price, 60, 1, time_band=band, interval_start=60))
        elif service == "sms":
            steps = [_step(tariff, prefix, name, rate, 1, 1) for prefix, name, rate in SMS]
        else:
            steps = [_step(tariff, "*", "Mobile data", "0.02", 1024 * 1024, 1024)]
        TariffRateStep.objects.bulk_create(steps)
    return made


def demo_price_plans_ensure(ctx: DemoContext) -> int:
    """A plan per demo product and currency with voice, SMS and data usage charges; demo subscriptions
    without a plan get the one of their product in their account's currency. Returns how many were set."""
    assigned = 0
    units = {u.code: u for u in Unit.objects.filter(code__in=["EUR", "USD"])}
    waiting = Subscription.objects.filter(price_plan__isnull=True, account__tenant__in=ctx.tenants.values())
    for subscription in waiting.select_related("product__tenant", "account__currency"):
        product: Product = subscription.product
        currency = units.get(subscription.account.currency.code)
        if currency is None:
            continue
        suffix = "" if currency.code == "EUR" else f"-{currency.code.lower()}"
        with transaction.atomic():
            plan, created = PricePlan.objects.get_or_create(
                tenant=product.tenant, code=f"{product.code}{suffix}"[:40],
                defaults={"product": product, "name": f"{product.name} ({currency.code})", "currency": currency},
            )  # fmt: skip
            ctx.created["price plans"] += created
            if created:
                for service, tariff in _tariffs(ctx, product.tenant, currency).items():
                    Charge.objects.create(price_plan=plan, code=f"usage-{service}", name=f"{service.upper()} usage",
                                          kind=ChargeKind.USAGE, service=service, tariff=tariff)  # fmt: skip
            subscription.price_plan = plan
            subscription.save(update_fields=["price_plan"])
            assigned += 1
    return assigned


# -------------------------------------------------------------------------- a day of files


def _subscribers(ctx: DemoContext, tenant_codes: tuple[str, ...]) -> list[str]:
    return [a.msisdn for spec in ctx.customers if spec.tenant_code in tenant_codes for a in spec.accounts]


def _moment(day: datetime, rng: random.Random) -> datetime:
    # Busier by day: most calls between 08:00 and 22:00.
    hour = rng.choice([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 7, 22, 23, 0])
    return day + timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))


def _number(rng: random.Random) -> str:
    called = rng.choice(CALLED)
    return called + "".join(str(rng.randrange(10)) for _ in range(max(0, 11 - len(called))))


def _asterisk_line(fields: list[str]) -> str:
    # cdr_csv quotes every field but the two integers (duration, billsec), doubling inner quotes.
    return ",".join(v if i in (12, 13) else '"' + v.replace('"', '""') + '"' for i, v in enumerate(fields)) + "\n"


def _asterisk(day: datetime, numbers: list[str], rng: random.Random) -> str:
    calls = []
    for i in range(len(numbers) * 6):
        src, dst = rng.choice(numbers), _number(rng)
        start = _moment(day, rng)
        billsec = int(rng.lognormvariate(4.2, 0.9)) if rng.random() < 0.85 else 0
        answer = start + timedelta(seconds=rng.randrange(3, 15))
        end = answer + timedelta(seconds=billsec)
        status = "ANSWERED" if billsec else rng.choice(["NO ANSWER", "BUSY"])
        calls.append([
            "", src, dst, "from-internal", f'"{src}" <{src}>', f"PJSIP/{src}-{i:08x}", f"PJSIP/trunk-{i:08x}", "Dial",
            f"PJSIP/{dst}@trunk,60", f"{start:%Y-%m-%d %H:%M:%S}", f"{answer:%Y-%m-%d %H:%M:%S}" if billsec else "",
            f"{end:%Y-%m-%d %H:%M:%S}", str(int((end - start).total_seconds())), str(billsec), status,
            "DOCUMENTATION", f"{int(start.timestamp())}.{i}", "",
        ])  # fmt: skip
    calls.sort(key=lambda fields: fields[9])
    calls[3][13] = "4x"  # a malformed billsec
    calls[7][1] = "353870000000"  # a number nobody holds
    text = "".join(_asterisk_line(fields) for fields in calls)
    return text + _asterisk_line(calls[0])[:70]  # a truncated last line, as a crashed writer leaves it


def _freeswitch(day: datetime, numbers: list[str], rng: random.Random) -> str:
    lines = []
    for i in range(len(numbers) * 6):
        src, dst = rng.choice(numbers), _number(rng)
        start = _moment(day, rng)
        billsec = int(rng.lognormvariate(4.0, 1.0))
        answer = start + timedelta(seconds=rng.randrange(2, 12))
        end = answer + timedelta(seconds=billsec) if i != 5 else start - timedelta(minutes=1)  # a clock jump
        uuid = "-".join(f"{rng.getrandbits(bits):0{bits // 4}x}" for bits in (32, 16, 16, 16, 48))
        duration = max(0, int((end - start).total_seconds()))
        lines.append(
            f'"{src}","+{src}","00{dst}","default","{start:%Y-%m-%d %H:%M:%S}","{answer:%Y-%m-%d %H:%M:%S}",'
            f'"{end:%Y-%m-%d %H:%M:%S}","{duration}","{billsec}","NORMAL_CLEARING","{uuid}","","","PCMA","PCMA"\n'
        )
    return "\ufeff" + "".join(lines).replace("\n", "\r\n")  # as a Windows tool hands it over


def _edr(day: datetime, numbers: list[str], rng: random.Random) -> str:
    lines = ["record_id,service,subscriber,destination,start,duration,volume,leg\n"]
    for i in range(len(numbers) * 10):
        moment = _moment(day, rng).strftime("%Y-%m-%dT%H:%M:%S") + "+00:00"
        if rng.random() < 0.55:
            lines.append(f"sms-{day:%Y%m%d}-{i},sms,{rng.choice(numbers)},{_number(rng)},{moment},,1,\n")
        else:
            volume = int(rng.lognormvariate(15.0, 1.5))
            lines.append(f"gprs-{day:%Y%m%d}-{i},data,{rng.choice(numbers)},,{moment},,{volume},\n")
    lines.append(f"mms-{day:%Y%m%d}-1,mms,{numbers[0]},34911222333,{day:%Y-%m-%d}T12:00:00+00:00,,1,\n")
    lines.append(f"sms-{day:%Y%m%d}-bad,sms,{numbers[0]},34911222333,{day:%Y-%m-%d}T25:61:00+00:00,,1,\n")
    return "".join(lines)


def _import(ctx: DemoContext, tenant: Tenant, code: str, name: str, text: str) -> None:
    if UsageFile.objects.filter(tenant=tenant, name=name).exists():
        return
    folder = Path(settings.USAGE_UPLOAD_DIR).parent / "demo" / tenant.code
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    run = rating_run_start(tenant=tenant, trigger=UsageSource.DEMO)
    usage_file = usage_file_register(
        tenant=tenant, usage_format=usage_format_preset(code), path=path, name=name, source=UsageSource.DEMO, run=run
    )
    usage_file = usage_file_import(usage_file=usage_file, path=path)
    usage_file_archive(usage_file=usage_file, path=path)
    rating_run_finish(run=run)
    ctx.created["usage files"] += 1
    ctx.created["rated records"] += usage_file.rated
    ctx.created["rejected records"] += usage_file.rejected


def demo_usage_load(ctx: DemoContext) -> None:
    """Plans for the demo products, then yesterday's files imported and rated."""
    demo_price_plans_ensure(ctx)
    rng = random.Random(ctx.seed)
    acme, sol = ctx.tenants["acme"], ctx.tenants["sol"]
    day = datetime.combine((ctx.now - timedelta(days=1)).date(), time.min)
    stamp = f"{day:%Y%m%d}"
    acme_numbers = _subscribers(ctx, ("acme", "bluewave"))
    sol_numbers = _subscribers(ctx, ("sol",))
    _import(ctx, acme, "asterisk-master", f"Master-{stamp}.csv", _asterisk(day, acme_numbers, rng))
    if sol_numbers:
        _import(ctx, sol, "freeswitch-csv", f"freeswitch-Master-{stamp}.csv", _freeswitch(day, sol_numbers, rng))
    _import(ctx, acme, "edr-generic", f"edr-{stamp}.csv", _edr(day, acme_numbers, rng))
