"""Customer and account use cases."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from accounts.models import BillingAccount, BillingCycle, Customer, Tenant, Unit
from accounts.models.customers import PaymentMode

from .audit import audit_record
from .ledger import MAIN_POCKET, wallet_open


def customer_create(*, tenant: Tenant, number: str, name: str, actor: Any = None, **fields: Any) -> Customer:
    """Create a customer of `tenant` (number unique per tenant, enforced by the database)."""
    with transaction.atomic():
        customer = Customer(tenant=tenant, number=number, name=name, **fields)
        customer.full_clean()
        customer.save()
        audit_record(action="customer.create", obj=customer, actor=actor, after={"number": number, "name": name})
        return customer


def account_open(
    *,
    customer: Customer,
    number: str,
    currency: Unit,
    payment_mode: str = PaymentMode.POSTPAID,
    credit_limit: Decimal = Decimal("0"),
    billing_cycle: BillingCycle | None = None,
    payment_terms_days: int = 14,
    name: str = "",
    actor: Any = None,
) -> BillingAccount:
    """Open a billing account with its main money pocket (currency, no expiry, priority 100)."""
    with transaction.atomic():
        account = BillingAccount(
            customer=customer,
            tenant=customer.tenant,
            number=number,
            name=name,
            currency=currency,
            payment_mode=payment_mode,
            credit_limit=credit_limit,
            billing_cycle=billing_cycle,
            payment_terms_days=payment_terms_days,
        )
        account.full_clean(exclude=["tenant"])
        account.save()
        wallet_open(account=account, unit=currency, name=f"Main balance ({currency.code})", code=MAIN_POCKET)
        audit_record(
            action="account.open",
            obj=account,
            actor=actor,
            after={"number": number, "mode": payment_mode, "credit_limit": str(credit_limit)},
        )
        return account
