"""Models of the rating app: the catalog, tariffs and subscriptions (usage and runs arrive with their issues)."""

from .catalog import BillingTiming, Charge, ChargeKind, ChargePeriod, ChargeTier, PricePlan, Product, QuantityPricing
from .rate_decks import RateDeckImport, RateDeckSource
from .subscriptions import (
    ServiceIdentifier,
    ServiceIdentifierKind,
    Subscription,
    SubscriptionPause,
    SubscriptionStatus,
)
from .tariffs import Holiday, RoundingMethod, Tariff, TariffRateStep, TimeBand
from .usage import RatedUsage

__all__ = [
    "BillingTiming",
    "Charge",
    "ChargeKind",
    "ChargePeriod",
    "ChargeTier",
    "Holiday",
    "PricePlan",
    "Product",
    "QuantityPricing",
    "RateDeckImport",
    "RateDeckSource",
    "RatedUsage",
    "RoundingMethod",
    "ServiceIdentifier",
    "ServiceIdentifierKind",
    "Subscription",
    "SubscriptionPause",
    "SubscriptionStatus",
    "Tariff",
    "TariffRateStep",
    "TimeBand",
]
