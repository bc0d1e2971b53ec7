"""The promotions part of the demo (run by `load_demo` after accounts, rating and invoicing): Acme's
promo codes, loyalty rules and rewards, and its refer-a-friend programme. Configuration only - the
customers earn and redeem through the services like anyone else. Idempotent by natural keys."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from accounts.demo import DemoContext
from accounts.models import Unit

from .models import LoyaltyReward, LoyaltyRule, Promotion, ReferralProgram

SINCE = datetime(2024, 1, 1, tzinfo=UTC)
PROMOTIONS: list[dict[str, Any]] = [
    {"code": "WELCOME10", "name": "Welcome credit", "kind": "credit", "credit_amount": Decimal("10"),
     "new_customers_only": True, "currency": "EUR"},
    {"code": "DATA5GB", "name": "5 GB free for 30 days", "kind": "free_units", "unit": "MB",
     "quantity": Decimal("5120"), "validity_days": 30, "total_limit": 1000},
    {"code": "SPRING20", "name": "Spring 20% off", "kind": "discount", "discount_percent": Decimal("20"),
     "discount_periods": 3, "discount_applies_to": "recurring"},
]  # fmt: skip
RULES = [
    ("1 point per euro paid on time", "per_currency_paid_on_time", "1", 365),
    ("50 points per month with us", "per_tenure_month", "50", 365),
    ("2 points per euro topped up", "per_top_up", "2", 365),
]
REWARDS: list[dict[str, Any]] = [
    {"code": "1gb", "name": "1 GB for 7 days", "kind": "items", "points": Decimal("500"), "unit": "MB",
     "quantity": Decimal("1024"), "validity_days": 7},
    {"code": "ten-off", "name": "10% off your next bill", "kind": "discount", "points": Decimal("800"),
     "discount_percent": Decimal("10"), "discount_periods": 1},
]  # fmt: skip


def _units(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: Unit.objects.get(code=v) if k in ("unit", "currency") else v for k, v in fields.items()}


def demo_load(ctx: DemoContext) -> None:
    acme = ctx.tenants["acme"]
    for spec in PROMOTIONS:
        fields = _units(spec)
        _, created = Promotion.objects.get_or_create(tenant=acme, code=fields.pop("code"), defaults=fields)
        ctx.created["promotions"] += created
    for name, kind, points, expiry in RULES:
        _, created = LoyaltyRule.objects.get_or_create(
            tenant=acme, kind=kind, defaults={"name": name, "points": Decimal(points), "expiry_days": expiry,
                                              "valid_from": SINCE},
        )  # fmt: skip
        ctx.created["loyalty rules"] += created
    for spec in REWARDS:
        fields = _units(spec)
        _, created = LoyaltyReward.objects.get_or_create(tenant=acme, code=fields.pop("code"), defaults=fields)
        ctx.created["loyalty rewards"] += created
    _, created = ReferralProgram.objects.get_or_create(
        tenant=acme,
        defaults={"currency": Unit.objects.get(code="EUR"), "referrer_reward": Decimal("10"),
                  "friend_reward": Decimal("5"), "monthly_cap": 5},
    )  # fmt: skip
    ctx.created["referral programmes"] += created
