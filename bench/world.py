"""The benchmark's world: one operator, its tariffs, 10,000 subscribers with money and bundles, and the file.

Built with bulk inserts (the benchmark times the import, not the set-up), but every balance is funded
through ledger postings (`ledger_post_batch`), so the ledger invariants hold before and after the run.
Subscribers: half prepaid (2-20 EUR), 40 % postpaid, 10 % hybrid (credit limit 20 EUR); 30 % hold
minute, SMS and data bundles. Destinations follow a Zipf law over the prefixes (most calls go to a few
national mobile ranges), voice durations a long-tailed mix, data sessions 10 KB - 40 MB.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from django.db import connection, transaction

from accounts.models import BillingAccount, Customer, LedgerAccount, LedgerAccountKind, Tenant, Unit
from accounts.models.customers import PaymentMode
from accounts.services.ledger import ledger_system_account
from accounts.services.ledger_batch import Posting, ledger_post_batch, ledger_rows_lock
from rating.models import (
    Charge,
    ChargeKind,
    PricePlan,
    Product,
    ServiceIdentifier,
    Subscription,
    Tariff,
    TariffRateStep,
    TimeBand,
)

SINCE = datetime(2020, 1, 1, tzinfo=UTC)
MALFORMED = [
    lambda f: f.__setitem__(4, "2024-13-45T99:00:00Z"),  # impossible date
    lambda f: f.__setitem__(5, "12a"),  # duration not a number
    lambda f: f.__setitem__(2, ""),  # no subscriber
    lambda f: f.__setitem__(3, "abc"),  # destination not a number
    lambda f: f.__setitem__(1, "mms"),  # unknown service
]


@dataclass
class World:
    tenant: Tenant
    msisdns: list[str]
    voice_prefixes: list[str]
    sms_prefixes: list[str]
    plan: PricePlan


def prefixes(count: int, rng: random.Random) -> list[str]:
    """`count` distinct destination prefixes of 3 to 7 digits, none a prefix-free duplicate of another."""
    found: set[str] = set()
    while len(found) < count:
        length = rng.choice((3, 4, 5, 5, 6, 6, 7))
        found.add(str(rng.randrange(10 ** (length - 1), 10**length)))
    return sorted(found)


def voice_tariff(tenant: Tenant, eur: Unit, codes: list[str], code: str, peak: TimeBand) -> Tariff:
    """60/1 billing: the first minute in one increment, then per second; the 20 busiest prefixes have
    a peak rate (weekdays 08-20) and an off-peak one."""
    tariff = Tariff.objects.create(tenant=tenant, code=code, name=code, service="voice", currency=eur, decimals=4)
    rows = []
    for i, prefix in enumerate(codes):
        rate = Decimal(5 + i % 40) / 100
        bands = [(None, rate)] if i >= 20 else [(None, rate), (peak, rate * 2)]
        for band, price in bands:
            for start, increment in ((0, 60), (60, 1)):
                rows.append(
                    TariffRateStep(tariff=tariff, prefix=prefix, time_band=band, effective_from=SINCE,
                                   interval_start=start, rate=price, rate_unit=60, increment=increment,
                                   connect_fee=Decimal("0.02") if i % 7 == 0 else Decimal("0")))  # fmt: skip
    rows.append(TariffRateStep(tariff=tariff, prefix="*", effective_from=SINCE, rate=Decimal("0.90"),
                               rate_unit=60, increment=1))  # fmt: skip
    TariffRateStep.objects.bulk_create(rows, batch_size=5000)
    return tariff


def build_world(*, subscribers: int, prefix_count: int, seed: int = 7) -> World:
    rng = random.Random(seed)
    eur = Unit.objects.get(code="EUR")
    with transaction.atomic():
        tenant = Tenant.objects.create(code="bench", name="Bench Telecom", kind="operator", default_currency=eur)
        peak = TimeBand.objects.create(
            tenant=tenant, name="peak", weekdays=[0, 1, 2, 3, 4], start=time(8), end=time(20)
        )
        voice_codes = prefixes(prefix_count, rng)
        voice = voice_tariff(tenant, eur, voice_codes, "voice", peak)
        sms_codes = voice_codes[:200]
        sms = Tariff.objects.create(tenant=tenant, code="sms", name="SMS", service="sms", currency=eur, decimals=4)
        TariffRateStep.objects.bulk_create(
            [
                TariffRateStep(
                    tariff=sms, prefix=p, effective_from=SINCE, rate=Decimal("0.05"), rate_unit=1, increment=1
                )
                for p in [*sms_codes, "*"]
            ]
        )
        data = Tariff.objects.create(tenant=tenant, code="data", name="Data", service="data", currency=eur, decimals=4)
        TariffRateStep.objects.create(
            tariff=data, prefix="*", effective_from=SINCE, rate=Decimal("0.01"), rate_unit=1 << 20, increment=1024
        )
        product = Product.objects.create(tenant=tenant, code="mobile", name="Mobile")
        plan = PricePlan.objects.create(tenant=tenant, product=product, code="mobile", name="Mobile", currency=eur)
        for tariff in (voice, sms, data):
            Charge.objects.create(price_plan=plan, code=f"usage-{tariff.service}", name=tariff.name,
                                  kind=ChargeKind.USAGE, service=tariff.service, tariff=tariff)  # fmt: skip
        msisdns = _subscribers(tenant, eur, product, plan, subscribers, rng)
    return World(tenant, msisdns, voice_codes, sms_codes, plan)


def _subscribers(
    tenant: Tenant, eur: Unit, product: Product, plan: PricePlan, count: int, rng: random.Random
) -> list[str]:
    customers = Customer.objects.bulk_create(
        [Customer(tenant=tenant, number=f"C{i:07d}", name=f"Customer {i}") for i in range(count)], batch_size=5000
    )
    accounts = []
    for i, customer in enumerate(customers):
        mode = PaymentMode.PREPAID if i % 10 < 5 else PaymentMode.POSTPAID if i % 10 < 9 else PaymentMode.HYBRID
        limit = Decimal("20") if mode == PaymentMode.HYBRID else Decimal("0")
        accounts.append(BillingAccount(customer=customer, tenant=tenant, number=f"A{i:07d}", currency=eur,
                                       payment_mode=mode, credit_limit=limit))  # fmt: skip
    accounts = BillingAccount.objects.bulk_create(accounts, batch_size=5000)
    units = {u.code: u for u in Unit.objects.filter(code__in=["MIN", "SMS", "MB"])}
    valid_to = datetime.now(UTC) + timedelta(days=30)
    pockets = [LedgerAccount(tenant=tenant, billing_account=a, unit=eur, code="main", name="Main") for a in accounts]
    bundles = []
    for i, account in enumerate(accounts):
        if i % 10 in (1, 4, 7):
            for code in ("MIN", "SMS", "MB"):
                bundles.append(
                    LedgerAccount(
                        tenant=tenant,
                        billing_account=account,
                        unit=units[code],
                        code="bundle",
                        name=f"{code} bundle",
                        valid_from=SINCE,
                        valid_to=valid_to,
                        priority=10,
                    )
                )
    LedgerAccount.objects.bulk_create(pockets + bundles, batch_size=5000)
    _fund(tenant, eur, units, pockets, bundles, rng)
    subscriptions = Subscription.objects.bulk_create(
        [Subscription(account=a, product=product, price_plan=plan, start_date=SINCE.date()) for a in accounts],
        batch_size=5000,
    )
    msisdns = [f"3538{i:08d}" for i in range(count)]
    ServiceIdentifier.objects.bulk_create(
        [
            ServiceIdentifier(subscription=s, kind="msisdn", value=m, valid_from=SINCE)
            for s, m in zip(subscriptions, msisdns, strict=True)
        ],
        batch_size=5000,
    )
    return msisdns


def _fund(tenant: Tenant, eur: Unit, units: dict[str, Unit], pockets: list, bundles: list, rng: random.Random) -> None:
    grants = {"MIN": Decimal("100"), "SMS": Decimal("50"), "MB": Decimal("500.000")}
    counters = {eur.pk: ledger_system_account(tenant=tenant, kind=LedgerAccountKind.CASH, unit=eur, code="bench")}
    for unit in units.values():
        counters[unit.pk] = ledger_system_account(tenant=tenant, kind=LedgerAccountKind.PROMOTIONS_EXPENSE, unit=unit)
    postings = []
    for pocket in pockets:
        if pocket.billing_account.payment_mode != PaymentMode.POSTPAID:
            amount = Decimal(rng.randrange(200, 2000)) / 100
            postings.append(
                Posting(tenant.pk, "top_up", "Bench top-up", [(pocket.pk, amount), (counters[eur.pk].pk, -amount)])
            )
    for pocket in bundles:
        grant = grants[pocket.unit.code]
        postings.append(
            Posting(tenant.pk, "promotion", "Bench bundle", [(pocket.pk, grant), (counters[pocket.unit_id].pk, -grant)])
        )
    ids = {leg[0] for p in postings for leg in p.legs}
    locked = ledger_rows_lock(ids)
    # Planner statistics first: the ledger's zero-sum trigger plans its lookup once per session, and on a
    # never-analysed table it would pick a sequential scan for every one of the entries below.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_ledgerentry")
    ledger_post_batch(postings=postings, locked=locked, at=datetime.now(UTC))


def write_file(world: World, path: Path, *, records: int, day: datetime, seed: int = 11, key: str = "r") -> int:
    """The EDR file of one day (header + `records` lines, 1 % malformed); returns the malformed count."""
    rng = random.Random(seed)
    voice = world.voice_prefixes
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(voice))]
    starts = sorted(rng.randrange(86_400) for _ in range(records))
    voice_draw = rng.choices(voice, weights=weights, k=records)
    malformed = 0
    with path.open("w", newline="") as out:
        out.write("record_id,service,subscriber,destination,start,duration,volume,leg\n")
        for i in range(records):
            moment = (day + timedelta(seconds=starts[i])).strftime("%Y-%m-%dT%H:%M:%SZ")
            subscriber = world.msisdns[rng.randrange(len(world.msisdns))]
            kind = rng.random()
            if kind < 0.6:
                duration = int(rng.lognormvariate(4.0, 1.0)) if rng.random() < 0.9 else 0
                fields = [f"{key}{i:09d}", "voice", subscriber, voice_draw[i] + f"{rng.randrange(10**6):06d}",
                          moment, str(min(duration, 7200)), "", ""]  # fmt: skip
            elif kind < 0.85:
                dest = world.sms_prefixes[rng.randrange(len(world.sms_prefixes))] + f"{rng.randrange(10**6):06d}"
                fields = [f"{key}{i:09d}", "sms", subscriber, dest, moment, "", "1", ""]
            else:
                fields = [
                    f"{key}{i:09d}",
                    "data",
                    subscriber,
                    "",
                    moment,
                    "",
                    str(rng.randrange(10_000, 40_000_000)),
                    "",
                ]
            if i % 100 == 50:
                MALFORMED[(i // 100) % len(MALFORMED)](fields)
                malformed += 1
            out.write(",".join(fields) + "\n")
    return malformed
