"""Plain factory functions for tests: explicit arguments, sensible defaults, real services underneath."""

from __future__ import annotations

import importlib
import itertools
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group

from accounts.models import BillingAccount, Customer, Tenant, Unit, User
from accounts.models.customers import PaymentMode
from accounts.models.tenancy import TenantKind
from accounts.services import account_open, customer_create, tenant_admin_group_sync, wallet_credit, wallet_open

_seq = itertools.count(1)


_SEED = importlib.import_module("accounts.migrations.0003_seed_units").UNITS


def unit(code: str) -> Unit:
    """A seeded unit; recreated when a transactional test has flushed the table."""
    found = Unit.objects.filter(code=code).first()
    if found:
        return found
    code_, name, kind, decimals, symbol = next(u for u in _SEED if u[0] == code)
    return Unit.objects.create(code=code_, name=name, kind=kind, decimals=decimals, symbol=symbol)


def make_tenant(*, name: str | None = None, parent: Tenant | None = None, currency: str = "EUR") -> Tenant:
    n = next(_seq)
    return Tenant.objects.create(
        name=name or f"Tenant {n}",
        code=f"t{n}-{(name or 'tenant').lower().replace(' ', '-')}"[:40],
        kind=TenantKind.RESELLER if parent else TenantKind.OPERATOR,
        parent=parent,
        default_currency=unit(currency),
    )


def tenant_admin_group() -> Group:
    """The tenant-administrator role, as the real service builds it."""
    return tenant_admin_group_sync()


def make_staff(*, tenant: Tenant | None, username: str | None = None, superuser: bool = False) -> User:
    """Staff of `tenant` with the tenant-administrator role; `superuser` only for platform staff."""
    user = User.objects.create_user(
        username=username or f"staff{next(_seq)}",
        password="pw-Secret-123",
        tenant=tenant,
        is_staff=True,
        is_superuser=superuser,
    )
    user.groups.add(tenant_admin_group())
    return user


def make_customer(*, tenant: Tenant, name: str | None = None, **fields: Any) -> Customer:
    n = next(_seq)
    return customer_create(tenant=tenant, number=f"C{n:06d}", name=name or f"Customer {n}", **fields)


def make_account(
    *,
    tenant: Tenant | None = None,
    customer: Customer | None = None,
    mode: str = PaymentMode.PREPAID,
    credit_limit: Decimal = Decimal("0"),
    currency: str = "EUR",
    balance: Decimal | None = None,
) -> BillingAccount:
    if customer is None:
        assert tenant is not None
        customer = make_customer(tenant=tenant)
    account = account_open(
        customer=customer,
        number=f"A{next(_seq):07d}",
        currency=unit(currency),
        payment_mode=mode,
        credit_limit=credit_limit,
    )
    if balance:
        wallet_credit(wallet=main_wallet(account), amount=balance, counter_kind="cash", counter_code="test")
    return account


def main_wallet(account: BillingAccount) -> Any:
    return account.ledger_accounts.get(kind="pocket", code="main")


def make_pocket(account: BillingAccount, code: str, **kwargs: Any) -> Any:
    return wallet_open(account=account, unit=unit(code), **kwargs)
