"""The accounts part of the demo: tenants, billing cycles, exchange rates, customers, accounts,
pockets with some ledger history, and the logins `load_demo` prints.

Every balance change goes through the ledger services (wallet_credit, wallet_debit, wallets_consume,
pocket_transfer), so the demo's ledger obeys the same rules as production data. Idempotency is by
natural key: a customer whose number already exists in its tenant is skipped whole, and each customer
is built in one transaction, so a run that stops half-way leaves no half-built customer behind.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from rest_framework.authtoken.models import Token
from tqdm import tqdm

from accounts.models import BillingAccount, BillingCycle, Customer, ExchangeRate, LedgerAccount, Tenant, Unit, User
from accounts.models.customers import PaymentMode
from accounts.models.ledger import LedgerAccountKind as Kind
from accounts.models.ledger import TransactionKind as Txn
from accounts.models.tenancy import TenantKind
from accounts.money import quantize_money
from accounts.services import (
    account_open,
    customer_create,
    pocket_transfer,
    tenant_admin_group_sync,
    wallet_credit,
    wallet_debit,
    wallet_open,
    wallets_consume,
)

from .context import DemoContext, DemoLogin
from .people import AccountSpec, CustomerSpec, irish_vat, spanish_cif

TENANTS = [
    # code, name, parent code, legal name, tax id, address, operations e-mail
    ("acme", "Acme Telecom", None, "Acme Telecom Ltd", irish_vat(6388047),
     "1 Grand Canal Square\nDublin 2, D02 P820\nIreland", "noc@acme-telecom.example.com"),
    ("bluewave", "Bluewave Mobile", "acme", "Bluewave Mobile Ltd", irish_vat(9514232),
     "22 Eyre Square\nGalway, H91 F5K7\nIreland", "ops@bluewave.example.com"),
    ("sol", "Sol Comunicaciones", "acme", "Sol Comunicaciones S.L.", spanish_cif(8765432),
     "Calle de Alcalá, 120\n28009 Madrid\nEspaña", "operaciones@solcom.example.com"),
]  # fmt: skip
CYCLES = [("monthly-1", "Monthly, day 1", 1), ("monthly-15", "Monthly, day 15", 15)]
# (from, to, rate): 100 loyalty points buy 1 EUR (or 1.10 USD); a reference BTC price for the pockets.
RATES = [("PTS", "EUR", "0.01"), ("PTS", "USD", "0.011"), ("BTC", "EUR", "58000")]
RATES_FROM = datetime(2024, 1, 1, tzinfo=UTC)
POINTS_TO_MONEY = Decimal("500")

OPERATOR_LOGIN = ("acme.admin", "demo-acme-admin")
RESELLER_LOGIN = ("bluewave.admin", "demo-bluewave-admin")
CUSTOMER_LOGIN = ("claire.donovan", "demo-claire")


def demo_tenants_ensure(ctx: DemoContext) -> None:
    """The operator, its two resellers, their billing cycles and the operator's exchange rates."""
    eur = Unit.objects.get(code="EUR")
    for code, name, parent, legal_name, tax_id, address, email in TENANTS:
        tenant, created = Tenant.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "parent": ctx.tenants.get(parent) if parent else None,
                "kind": TenantKind.RESELLER if parent else TenantKind.OPERATOR,
                "legal_name": legal_name,
                "tax_id": tax_id,
                "address": address,
                "operations_email": email,
                "default_currency": eur,
            },
        )
        ctx.tenants[code] = tenant
        ctx.created["tenants"] += created
        for cycle_code, cycle_name, day in CYCLES:
            _, created = BillingCycle.objects.get_or_create(
                tenant=tenant, code=cycle_code, defaults={"name": cycle_name, "bill_day": day}
            )
            ctx.created["billing cycles"] += created
    for source, target, rate in RATES:
        _, created = ExchangeRate.objects.get_or_create(
            tenant=ctx.tenants["acme"],
            from_unit=Unit.objects.get(code=source),
            to_unit=Unit.objects.get(code=target),
            valid_from=RATES_FROM,
            defaults={"rate": Decimal(rate), "source": "demo price list"},
        )
        ctx.created["exchange rates"] += created


class _Timeline:
    """Increasing moments between two instants, drawn from the account's own seeded generator."""

    def __init__(self, rng: random.Random, start: datetime, end: datetime, steps: int) -> None:
        span = (end - start).total_seconds()
        self._moments = iter(sorted(start + timedelta(seconds=rng.random() * span) for _ in range(steps)))

    def next(self) -> datetime:
        return next(self._moments)


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    """A random amount in cents between `low` and `high` cents, as an exact Decimal."""
    return Decimal(rng.randrange(low, high + 1)) / 100


@dataclass(frozen=True)
class _Move:
    """One demo movement on a pocket: a credit when `amount` > 0, a debit when < 0, against the tenant's
    `counter_kind` account. `step` makes the idempotency key; `at` defaults to the account's next moment."""

    step: str
    amount: Decimal
    kind: str
    counter_kind: str
    description: str
    counter_code: str = ""
    at: datetime | None = None


def _moves_post(pocket: LedgerAccount, moves: list[_Move], *, key: str, clock: _Timeline) -> None:
    for move in moves:
        service = wallet_credit if move.amount > 0 else wallet_debit
        service(
            wallet=pocket,
            amount=abs(move.amount),
            kind=move.kind,
            counter_kind=move.counter_kind,
            counter_code=move.counter_code,
            description=move.description,
            idempotency_key=f"{key}:{move.step}",
            at=move.at or clock.next(),
        )


def _money_history(ctx: DemoContext, account: BillingAccount, main: LedgerAccount, rng: random.Random) -> None:
    """Last month: top-ups, the plan fee, some usage and (postpaid) the payment of the bill."""
    is_company = account.customer.kind == "company"
    fee = _money(rng, 8900, 24000) if is_company else Decimal(rng.choice(["9.99", "19.99", "25.00", "35.00"]))
    usage = _money(rng, 15, 450)
    moves = []
    if account.payment_mode != PaymentMode.POSTPAID:
        topup = Decimal(rng.choice([20, 25, 30, 50])) + fee
        moves.append(_Move("topup-1", topup, Txn.TOP_UP, Kind.CASH, "Top-up", rng.choice(["card", "voucher"])))
    moves.append(_Move("fee-1", -fee, Txn.DEBIT, Kind.REVENUE_RECURRING, "Monthly plan fee"))
    moves.append(_Move("usage-1", -usage, Txn.USAGE, Kind.REVENUE_USAGE, "Calls outside the bundle"))
    if account.payment_mode == PaymentMode.POSTPAID:
        paid = "Payment received, thank you"
        moves.append(_Move("payment-1", fee + usage, Txn.PAYMENT, Kind.CASH, paid, "bank-transfer"))
    elif account.payment_mode == PaymentMode.PREPAID:
        # A prepaid pocket never goes below zero: the customer tops up before the next fee.
        moves.append(_Move("topup-2", fee + Decimal(rng.choice([5, 10, 20])), Txn.TOP_UP, Kind.CASH, "Top-up", "card"))
    # This month's fee: a postpaid or hybrid pocket may now sit below zero, within the credit limit.
    moves.append(_Move("fee-2", -fee, Txn.DEBIT, Kind.REVENUE_RECURRING, "Monthly plan fee"))
    clock = _Timeline(rng, ctx.now - timedelta(days=60), ctx.now - timedelta(days=25), len(moves))
    _moves_post(main, moves, key=f"demo:{account.number}", clock=clock)


# Bundle sizes per unit: (persons, companies); MB keeps three decimals.
BUNDLES = {"MIN": ("300", "3000"), "SMS": ("100", "1000"), "MB": ("10240.000", "51200.000")}
BUNDLE_NAMES = {"MIN": "Minutes bundle", "SMS": "Texts bundle", "MB": "Data bundle"}
USAGE_NAMES = {"MIN": "Calls", "SMS": "Texts sent", "MB": "Mobile data"}


def _pockets_and_usage(
    ctx: DemoContext, account: BillingAccount, spec: AccountSpec, main: LedgerAccount, rng: random.Random
) -> int:
    """This cycle: bundles valid for 30 days and partly used, loyalty points, a BTC pocket. Returns pockets opened."""
    key = f"demo:{account.number}"
    cycle_start = (ctx.now - timedelta(days=rng.randint(6, 20))).replace(minute=0, second=0, microsecond=0)
    clock = _Timeline(rng, cycle_start + timedelta(minutes=5), ctx.now - timedelta(minutes=5), 8)
    company = int(account.customer.kind == "company")
    for code in spec.pockets:
        unit = Unit.objects.get(code=code)
        if code in BUNDLES:
            size = Decimal(BUNDLES[code][company])
            name = BUNDLE_NAMES[code]
            valid_to = cycle_start + timedelta(days=30)
            pocket = wallet_open(account=account, unit=unit, name=name, code="bundle", valid_from=cycle_start,
                                 valid_to=valid_to, priority=10)  # fmt: skip
            grant = _Move(f"bundle-{code}", size, Txn.TOP_UP, Kind.ADJUSTMENTS, f"Monthly {name.lower()}", "bundles")
            _moves_post(pocket, [replace(grant, at=cycle_start)], key=key, clock=clock)
            used = quantize_money(size * Decimal(rng.randrange(1000, 7000)) / 10000, unit.decimals)
            wallets_consume(account=account, unit=unit, amount=used, description=USAGE_NAMES[code],
                            idempotency_key=f"{key}:use-{code}", at=clock.next())  # fmt: skip
        elif code == "PTS":
            pocket = wallet_open(account=account, unit=unit, name="Loyalty points", code="loyalty")
            points = Decimal(rng.randrange(2, 16) * 100)
            earned = "Loyalty points for paying on time"
            _moves_post(pocket, [_Move("points", points, Txn.PROMOTION, Kind.PROMOTIONS_EXPENSE, earned, "loyalty")],
                        key=key, clock=clock)  # fmt: skip
            if points >= POINTS_TO_MONEY:
                # Points -> money at the operator's ExchangeRate (100 PTS = 1 EUR): a four-leg exchange.
                pocket_transfer(source=pocket, target=main, amount=POINTS_TO_MONEY, idempotency_key=f"{key}:redeem",
                                at=clock.next())  # fmt: skip
        elif code == "BTC":
            pocket = wallet_open(account=account, unit=unit, name="Bitcoin balance", code="crypto")
            moves = [
                _Move("btc", Decimal("0.00250000"), Txn.TOP_UP, Kind.CASH, "Bitcoin top-up", "btc-gateway"),
                _Move(
                    "btc-spend", Decimal("-0.00040000"), Txn.DEBIT, Kind.REVENUE_ONEOFF, "Roaming pass paid in bitcoin"
                ),
            ]
            _moves_post(pocket, moves, key=key, clock=clock)
    return len(spec.pockets)


def demo_customer_build(ctx: DemoContext, spec: CustomerSpec) -> bool:
    """Create one customer with its accounts, pockets and history; False if it already exists."""
    tenant = ctx.tenants[spec.tenant_code]
    if Customer.objects.filter(tenant=tenant, number=spec.number).exists():
        return False
    cycles = {c.code: c for c in BillingCycle.objects.filter(tenant=tenant)}
    with transaction.atomic():
        customer = customer_create(tenant=tenant, number=spec.number, name=spec.name, **spec.customer_fields())
        ctx.created["customers"] += 1
        for account_spec in spec.accounts:
            account = account_open(
                customer=customer,
                number=account_spec.number,
                name=account_spec.name,
                currency=Unit.objects.get(code=account_spec.currency),
                payment_mode=account_spec.payment_mode,
                credit_limit=account_spec.credit_limit,
                billing_cycle=cycles[account_spec.cycle_code],
            )
            ctx.created["accounts"] += 1
            # One generator per account: its history does not depend on which other customers exist.
            rng = random.Random(f"{ctx.seed}:{account_spec.number}")
            main = account.ledger_accounts.get(kind=Kind.POCKET, code="main")
            _money_history(ctx, account, main, rng)
            ctx.created["pockets"] += 1 + _pockets_and_usage(ctx, account, account_spec, main, rng)
    return True


def _login_ensure(ctx: DemoContext, *, role: str, credentials: tuple[str, str], path: str, **fields: object) -> User:
    """A demo user, created once; an existing user is left exactly as it is (password included)."""
    username, password = credentials
    user = User.objects.filter(username=username).first()
    created = user is None
    if user is None:
        user = User.objects.create_user(username=username, password=password, **fields)  # type: ignore[arg-type]
        if user.is_staff:
            user.groups.add(tenant_admin_group_sync())
        ctx.created["users"] += 1
    ctx.logins.append(DemoLogin(role, username, password, path, created))
    return user


# Back-office logins: role shown, credentials, tenant code, person's name, e-mail.
STAFF = [
    ("Operator staff (Acme Telecom)", OPERATOR_LOGIN, "acme", "Alex", "Byrne", "alex.byrne@acme-telecom.example.com"),
    (
        "Reseller staff (Bluewave Mobile)",
        RESELLER_LOGIN,
        "bluewave",
        "Niamh",
        "Walsh",
        "niamh.walsh@bluewave.example.com",
    ),
]


def demo_logins_ensure(ctx: DemoContext) -> None:
    """Operator staff (with an API token), reseller staff and the portal customer's user."""
    tenant_admin_group_sync()
    staff = [
        _login_ensure(ctx, role=role, credentials=credentials, path="/admin/", tenant=ctx.tenants[tenant_code],
                      is_staff=True, first_name=first, last_name=last, email=email)
        for role, credentials, tenant_code, first, last, email in STAFF
    ]  # fmt: skip
    customer = Customer.objects.get(tenant=ctx.tenants["acme"], number=ctx.customers[0].number)
    first, _, last = customer.name.partition(" ")
    _login_ensure(ctx, role=f"Customer ({customer.name})", credentials=CUSTOMER_LOGIN, path="/selfcare/",
                  customer=customer, first_name=first, last_name=last, email=customer.email)  # fmt: skip
    token, created = Token.objects.get_or_create(user=staff[0])
    ctx.created["API tokens"] += created
    ctx.api_token = token.key


def demo_load(ctx: DemoContext) -> None:
    """The accounts step of `load_demo` (found by accounts.demo.demo_steps like every app's step)."""
    demo_tenants_ensure(ctx)
    for spec in tqdm(ctx.customers, desc="Demo customers", unit="customer", disable=not ctx.progress):
        demo_customer_build(ctx, spec)
    demo_logins_ensure(ctx)
