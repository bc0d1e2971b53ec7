"""The plain data the invoice engine reads and writes: no ORM objects cross this line.

Selectors load `BillingInput`s for many accounts in a few set-based queries; `compute.invoice_compute`
turns one into a `ComputedInvoice`; the writers persist it (or the preview returns it as it is).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

ZERO = Decimal("0")


@dataclass(frozen=True)
class TierData:
    from_quantity: Decimal
    to_quantity: Decimal | None
    unit_price: Decimal
    flat_fee: Decimal = ZERO


@dataclass(frozen=True)
class ChargeData:
    id: int
    code: str
    name: str
    kind: str
    amount: Decimal
    period: str = ""
    timing: str = "advance"
    tax_category: str = ""
    quantity_pricing: str = ""
    tiers: tuple[TierData, ...] = ()
    service: str = ""
    discount_percent: Decimal | None = None
    discount_applies_to: str = ""
    discount_periods: int | None = None


@dataclass(frozen=True)
class SubscriptionData:
    id: int
    uuid: str
    product: str
    category: str
    plan_code: str
    plan_currency: str
    quantity: int
    start: date
    end: date | None
    status: str
    plan_start: date  # first day on this plan, following plan-keeping changes (quantity changes)
    is_change: bool  # replaces another subscription: plan one-off charges are not billed again
    pauses: tuple[tuple[date, date | None], ...] = ()
    charges: tuple[ChargeData, ...] = ()
    product_id: int | None = None


@dataclass(frozen=True)
class BilledRow:
    """What an earlier invoice (draft or issued) billed for one charge period."""

    subscription_id: int
    charge_id: int
    applies_to_charge_id: int | None
    period_start: date
    period_end: date
    numerator: int
    denominator: int
    full_price: Decimal
    percent: Decimal | None
    amount: Decimal
    invoice_id: int


@dataclass(frozen=True)
class UsageGroup:
    """Unbilled rated usage of one subscription, service, tariff and prepaid flag."""

    subscription_id: int | None
    service: str
    tariff_id: int | None
    tariff_name: str
    prepaid: bool
    records: int
    usage: int
    charged_usage: int
    cost: Decimal
    first_day: date
    last_day: date


@dataclass(frozen=True)
class OneOffData:
    id: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    charge_date: date
    tax_category: str = ""
    charge_id: int | None = None
    kind: str = "one_off"


@dataclass(frozen=True)
class TaxRateData:
    id: int
    category: str
    name: str
    rate: Decimal
    valid_from: date
    valid_to: date | None
    depth: int  # 0 = the account's own tenant, 1 = its parent, ...


@dataclass(frozen=True)
class AccountDiscountData:
    """An account discount still in force on the bill date, and how many invoices it has discounted."""

    id: int
    name: str
    percent: Decimal | None
    amount: Decimal | None
    periods: int | None
    used: int
    applies_to: str = ""  # a revenue kind; empty: every line
    product_id: int | None = None
    reference: str = ""


@dataclass(frozen=True)
class AccountData:
    id: int
    number: str
    tenant_id: int
    currency: str
    decimals: int
    rounding: str
    payment_mode: str
    cycle_period: str = "month"
    bill_day: int = 1
    thirty_day_months: bool = False
    payment_terms_days: int = 14


@dataclass(frozen=True)
class BillingInput:
    account: AccountData
    bill_date: date
    subscriptions: tuple[SubscriptionData, ...] = ()
    billed: tuple[BilledRow, ...] = ()
    usage: tuple[UsageGroup, ...] = ()
    one_offs: tuple[OneOffData, ...] = ()
    tax_rates: tuple[TaxRateData, ...] = ()
    account_discounts: tuple[AccountDiscountData, ...] = ()


@dataclass
class BilledKey:
    """The BilledCharge row a line writes (so the period is never billed twice)."""

    subscription_id: int
    charge_id: int
    applies_to_charge_id: int | None
    kind: str  # "charge" or "adjustment"
    period_start: date
    period_end: date
    numerator: int
    denominator: int
    full_price: Decimal
    percent: Decimal | None
    amount: Decimal


@dataclass
class ComputedLine:
    kind: str
    revenue: str
    description: str
    amount: Decimal
    quantity: Decimal = Decimal("1")
    unit_price: Decimal | None = None
    numerator: int | None = None
    denominator: int | None = None
    period_start: date | None = None
    period_end: date | None = None
    subscription_id: int | None = None
    charge_id: int | None = None
    tariff_id: int | None = None
    service: str = ""
    tax_category: str = ""
    tax_rate: Decimal = ZERO
    tax_rate_id: int | None = None
    tax_name: str = ""
    tax_amount: Decimal = ZERO
    explanation: dict[str, Any] = field(default_factory=dict)
    billed: BilledKey | None = None
    one_off_id: int | None = None
    usage_prepaid: bool | None = None
    account_discount_id: int | None = None


@dataclass
class ComputedTax:
    tax_rate_id: int | None
    name: str
    rate: Decimal
    base: Decimal
    tax_amount: Decimal


@dataclass
class ComputedInvoice:
    account_id: int
    kind: str
    bill_date: date
    period_start: date
    period_end: date
    currency: str
    lines: list[ComputedLine]
    taxes: list[ComputedTax]
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (dates and decimals as strings), as the preview API returns it."""
        data = asdict(self)
        for line in data["lines"]:
            line.pop("billed")
        return _jsonable(data)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, Decimal | date):
        return str(value)
    return value
