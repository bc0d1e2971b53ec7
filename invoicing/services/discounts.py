"""Account discounts: a percent or an amount off an account's next N cycle invoices.

Promotions, loyalty rewards and operators create them here; the invoice engine applies them
(`other_lines.account_discount_lines`) and counts the periods used by the invoices carrying their lines.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from accounts.models import BillingAccount
from accounts.models.customers import PaymentMode
from accounts.money import to_decimal
from accounts.services import audit_record
from invoicing import selectors
from invoicing.exceptions import AccountDiscountRefused
from invoicing.models import AccountDiscount
from rating.models import Product


def account_discount_create(
    *,
    account: BillingAccount,
    name: str,
    percent: Decimal | None = None,
    amount: Decimal | None = None,
    periods: int | None = None,
    applies_to: str = "",
    product: Product | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    source: str = "operator",
    reference: str = "",
    actor: Any = None,
) -> AccountDiscount:
    """A discount of `percent` (or `amount` per invoice) on the account's next `periods` invoices dated
    on or after `starts_on` (default: today in the tenant's zone). Refused on prepaid accounts (they
    get statements, not invoices) and for a product outside the account's catalog. Audited."""
    if (percent is None) == (amount is None):
        raise AccountDiscountRefused("Give either a percent or an amount.")
    if percent is not None and not Decimal("0") < to_decimal(percent) <= Decimal("100"):
        raise AccountDiscountRefused("A percent discount must be above 0 and at most 100.")
    if amount is not None and to_decimal(amount) <= 0:
        raise AccountDiscountRefused("A discount amount must be positive.")
    if periods is not None and periods < 1:
        raise AccountDiscountRefused("A discount lasts at least one invoice.")
    if starts_on and ends_on and ends_on < starts_on:
        raise AccountDiscountRefused("A discount cannot end before it starts.")
    if account.payment_mode == PaymentMode.PREPAID:
        raise AccountDiscountRefused(f"Account {account.number} is prepaid: it gets no invoice to discount.")
    if product is not None and not account.tenant.path.startswith(product.tenant.path):
        raise AccountDiscountRefused("The product is not in the catalog of the account's tenant.")
    with transaction.atomic():
        discount = AccountDiscount.objects.create(
            account=account,
            name=name,
            percent=percent,
            amount=amount,
            periods=periods,
            applies_to=applies_to,
            product=product,
            starts_on=starts_on or selectors.tenant_today(account.tenant),
            ends_on=ends_on,
            source=source,
            reference=reference,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            action="account_discount.create",
            obj=discount,
            actor=actor,
            tenant=account.tenant,
            after={
                "percent": str(percent) if percent is not None else None,
                "amount": str(amount) if amount is not None else None,
                "periods": periods,
                "reference": reference,
            },
        )
        return discount
