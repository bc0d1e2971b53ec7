"""Models of the rating app: the catalog, tariffs, subscriptions, rated usage and the usage import trail."""

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
from .usage_files import (
    AlertKind,
    RatingRun,
    RejectedRecord,
    RejectReason,
    RejectStatus,
    RunStatus,
    UsageAlert,
    UsageFile,
    UsageFileStatus,
    UsageSource,
)
from .usage_formats import LegPolicy, RatingSettings, UsageFormat, UsageFormatKind

__all__ = [
    "AlertKind",
    "BillingTiming",
    "Charge",
    "ChargeKind",
    "ChargePeriod",
    "ChargeTier",
    "Holiday",
    "LegPolicy",
    "PricePlan",
    "Product",
    "QuantityPricing",
    "RateDeckImport",
    "RateDeckSource",
    "RatedUsage",
    "RatingRun",
    "RatingSettings",
    "RejectReason",
    "RejectStatus",
    "RejectedRecord",
    "RoundingMethod",
    "RunStatus",
    "ServiceIdentifier",
    "ServiceIdentifierKind",
    "Subscription",
    "SubscriptionPause",
    "SubscriptionStatus",
    "Tariff",
    "TariffRateStep",
    "TimeBand",
    "UsageAlert",
    "UsageFile",
    "UsageFileStatus",
    "UsageFormat",
    "UsageFormatKind",
    "UsageSource",
]
