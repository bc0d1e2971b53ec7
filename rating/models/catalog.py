"""The catalog: what the business sells and at what price.

Product -> PricePlan (currency, validity) -> Charges of every kind the business sells:
- recurring: `amount` per `period` (day / week / month / year), billed in advance or in arrears;
- one_off: `amount` once (activation fee, device);
- quantity: priced per unit, tiered (each tier's units at its own price) or volume (all units at the price
  of the tier the total falls in) through ChargeTier rows;
- usage: a service rated by a Tariff;
- allowance: a bundle granting `allowance_quantity` of `allowance_unit` per cycle into an item pocket;
- discount: percent or amount off (all charges or one charge kind) for `discount_periods` periods.
Amounts keep 6 decimal places; invoice lines round them to the currency's minor unit.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models

PRICE = {"max_digits": 18, "decimal_places": 6}
# The services usage is rated for, in the engine's names (rating.engine.SERVICE_UNITS).
SERVICE_CHOICES = [("voice", "Voice"), ("sms", "SMS"), ("data", "Data")]


class Product(models.Model):
    tenant_lookup = "tenant"

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="products")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=40, blank=True, help_text="Drives the tax rate, e.g. telecom, device.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["tenant", "code"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="product_code_per_tenant")]

    def __str__(self) -> str:
        return self.name


class PricePlan(models.Model):
    tenant_lookup = "tenant"

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="price_plans")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="price_plans")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    currency = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["tenant", "code"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="price_plan_code_per_tenant")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ChargeKind(models.TextChoices):
    RECURRING = "recurring", "Recurring"
    ONE_OFF = "one_off", "One-off"
    QUANTITY = "quantity", "Quantity-based"
    USAGE = "usage", "Usage-based"
    ALLOWANCE = "allowance", "Bundle / allowance"
    DISCOUNT = "discount", "Discount"


class ChargePeriod(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class BillingTiming(models.TextChoices):
    ADVANCE = "advance", "In advance"
    ARREARS = "arrears", "In arrears"


class QuantityPricing(models.TextChoices):
    PER_UNIT = "per_unit", "Per unit"
    TIERED = "tiered", "Tiered (graduated)"
    VOLUME = "volume", "Volume (all units at the tier reached)"


class Charge(models.Model):
    tenant_lookup = "price_plan__tenant"

    price_plan = models.ForeignKey(PricePlan, on_delete=models.PROTECT, related_name="charges")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=ChargeKind.choices)
    amount = models.DecimalField(**PRICE, default=Decimal("0"), help_text="Price per period / once / per unit.")
    period = models.CharField(max_length=8, choices=ChargePeriod.choices, blank=True)
    timing = models.CharField(max_length=8, choices=BillingTiming.choices, default=BillingTiming.ADVANCE)
    tax_category = models.CharField(max_length=40, blank=True, help_text="Empty: the product's category.")
    quantity_pricing = models.CharField(max_length=16, choices=QuantityPricing.choices, blank=True)
    # usage charges
    service = models.CharField(max_length=8, choices=SERVICE_CHOICES, blank=True)
    tariff = models.ForeignKey("rating.Tariff", null=True, blank=True, on_delete=models.PROTECT, related_name="charges")
    # allowance (bundle) charges
    allowance_unit = models.ForeignKey(
        "accounts.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    allowance_quantity = models.DecimalField(max_digits=18, decimal_places=3, null=True, blank=True)
    # discount charges
    discount_percent = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    discount_applies_to = models.CharField(
        max_length=16, choices=ChargeKind.choices, blank=True, help_text="Empty: every charge of the plan."
    )
    discount_periods = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How many billing periods the discount lasts; empty: forever."
    )

    class Meta:
        ordering = ["price_plan", "kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["price_plan", "code"], name="charge_code_per_plan"),
            models.CheckConstraint(
                condition=~models.Q(kind="recurring") | ~models.Q(period=""), name="recurring_charge_has_period"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="usage") | (~models.Q(service="") & models.Q(tariff__isnull=False)),
                name="usage_charge_has_service_and_tariff",
            ),
            models.CheckConstraint(
                condition=models.Q(discount_percent__isnull=True)
                | models.Q(discount_percent__gte=0, discount_percent__lte=100),
                name="discount_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} [{self.get_kind_display()}]"

    def clean(self) -> None:
        if self.kind == ChargeKind.ALLOWANCE and (not self.allowance_unit_id or not self.allowance_quantity):
            raise ValidationError("A bundle charge needs the unit and quantity it grants.")
        if self.kind == ChargeKind.DISCOUNT and self.discount_percent is None and not self.amount:
            raise ValidationError("A discount needs a percent or an amount.")
        if self.kind == ChargeKind.QUANTITY and not self.quantity_pricing:
            raise ValidationError({"quantity_pricing": "Choose how quantities are priced."})


class ChargeTier(models.Model):
    """A quantity tier: units in (from_quantity, to_quantity] at `unit_price`, plus an optional flat fee."""

    tenant_lookup = "charge__price_plan__tenant"

    charge = models.ForeignKey(Charge, on_delete=models.CASCADE, related_name="tiers")
    from_quantity = models.DecimalField(max_digits=18, decimal_places=3, default=Decimal("0"))
    to_quantity = models.DecimalField(max_digits=18, decimal_places=3, null=True, blank=True)
    unit_price = models.DecimalField(**PRICE)
    flat_fee = models.DecimalField(**PRICE, default=Decimal("0"))

    class Meta:
        ordering = ["charge", "from_quantity"]
        constraints = [models.UniqueConstraint(fields=["charge", "from_quantity"], name="charge_tier_start_once")]

    def __str__(self) -> str:
        return f"{self.from_quantity}-{self.to_quantity or '∞'} @ {self.unit_price}"
