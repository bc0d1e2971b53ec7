"""Factories for promotions tests: promotions, rules, rewards, programmes and exchange rates."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from accounts.models import ExchangeRate, Tenant
from accounts.tests.factories import unit
from invoicing.promotions.models import LoyaltyReward, LoyaltyRule, Promotion, ReferralProgram

_seq = itertools.count(1)
SINCE = datetime(2000, 1, 1, tzinfo=UTC)


def make_promotion(tenant: Tenant, *, kind: str = "credit", **fields: Any) -> Promotion:
    n = next(_seq)
    fields.setdefault("code", f"PROMO{n}")
    fields.setdefault("name", f"Promotion {n}")
    if kind == "credit" or fields.get("discount_amount") is not None:
        fields.setdefault("currency", unit("EUR"))
    promotion = Promotion(tenant=tenant, kind=kind, **fields)
    promotion.full_clean()
    promotion.save()
    return promotion


def make_rule(tenant: Tenant, kind: str, points: str, *, expiry_days: int | None = None, **fields: Any) -> LoyaltyRule:
    fields.setdefault("valid_from", SINCE)
    return LoyaltyRule.objects.create(
        tenant=tenant, name=f"{kind} {points}", kind=kind, points=Decimal(points), expiry_days=expiry_days, **fields
    )


def make_reward(tenant: Tenant, kind: str, points: str, **fields: Any) -> LoyaltyReward:
    reward = LoyaltyReward(tenant=tenant, code=f"r{next(_seq)}", name=fields.pop("name", "Reward"), kind=kind,
                           points=Decimal(points), **fields)  # fmt: skip
    reward.full_clean()
    reward.save()
    return reward


def points_rate(tenant: Tenant, rate: str, currency: str = "EUR") -> ExchangeRate:
    return ExchangeRate.objects.create(
        tenant=tenant, from_unit=unit("PTS"), to_unit=unit(currency), rate=Decimal(rate), valid_from=SINCE
    )


def make_program(tenant: Tenant, **fields: Any) -> ReferralProgram:
    fields.setdefault("currency", unit("EUR"))
    fields.setdefault("referrer_reward", Decimal("10.00"))
    return ReferralProgram.objects.create(tenant=tenant, **fields)
