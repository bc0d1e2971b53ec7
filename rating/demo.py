"""The rating part of the demo (run by `load_demo` after the accounts part): a small catalog and one
subscription per demo account, reachable through its MSISDN.

Idempotent by natural keys: products by (tenant, code); an account that already has a subscription
is left alone. Products and subscriptions carry no prices yet: price plans arrive with the catalog.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction

from accounts.demo import DemoContext
from accounts.models import BillingAccount

from .demo_usage import demo_usage_load
from .models import Product, ServiceIdentifier, ServiceIdentifierKind, Subscription

# tenant code -> (code, name, category, description)
CATALOG = {
    "acme": [
        ("mobile-prepaid", "Prepaid Mobile", "telecom", "Top up as you go; monthly bundle of minutes, SMS and data."),
        ("mobile-unlimited", "Unlimited Mobile", "telecom", "Unlimited calls and texts with a monthly data bundle."),
        ("business-mobile", "Business Mobile Pro", "telecom", "Business line with pooled minutes and EU roaming."),
        ("data-sim", "Data SIM", "telecom", "Data-only SIM for tablets and routers."),
    ],
    "sol": [
        ("sol-movil-20", "Tarifa Sol 20", "telecom", "Llamadas ilimitadas y 20 GB de datos al mes."),
    ],
}


def demo_products_ensure(ctx: DemoContext) -> dict[tuple[str, str], Product]:
    products = {}
    for tenant_code, items in CATALOG.items():
        tenant = ctx.tenants[tenant_code]
        for code, name, category, description in items:
            product, created = Product.objects.get_or_create(
                tenant=tenant, code=code, defaults={"name": name, "category": category, "description": description}
            )
            products[(tenant_code, code)] = product
            ctx.created["products"] += created
    return products


def demo_load(ctx: DemoContext) -> None:
    """Subscribe every demo account to its product, with the MSISDN of the generated customer."""
    products = demo_products_ensure(ctx)
    for spec in ctx.customers:
        tenant = ctx.tenants[spec.tenant_code]
        for account_spec in spec.accounts:
            account = BillingAccount.objects.filter(tenant=tenant, number=account_spec.number).first()
            if account is None or account.subscriptions.exists():
                continue
            # Resellers without their own product sell the operator's (the catalog is inherited).
            product = (
                products.get((spec.tenant_code, account_spec.product_code))
                or products[("acme", account_spec.product_code)]
            )
            start = (ctx.now - timedelta(days=90)).date()  # before the demo's ledger history begins
            with transaction.atomic():
                subscription = Subscription(account=account, product=product, start_date=start)
                subscription.full_clean()
                subscription.save()
                ServiceIdentifier.objects.create(
                    subscription=subscription,
                    kind=ServiceIdentifierKind.MSISDN,
                    value=account_spec.msisdn,
                    valid_from=datetime.combine(start, time.min, tzinfo=ctx.now.tzinfo),
                )
            ctx.created["subscriptions"] += 1
    # Tariffs, price plans and a day of CDR files rated (rating/demo_usage.py).
    demo_usage_load(ctx)
