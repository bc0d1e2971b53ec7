"""Serializers of the invoicing API. Amounts are strings at the currency's exponent ("12.30", "1230")."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter
from typing import Any

from rest_framework import serializers

from accounts.api.mixins import ScopedRelatedField
from accounts.models import BillingAccount
from accounts.money import quantize_money
from accounts.tenancy import scope_queryset
from invoicing.models import (
    AccountDiscount,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceTaxSummary,
    OneOffCharge,
    TaxRate,
)
from rating.models import Charge, Product, RatedUsage


class AmountField(serializers.ReadOnlyField):
    """An invoice amount shown at its currency's exponent (the stored value is already rounded to it)."""

    def __init__(self, currency: str = "currency", **kwargs: Any) -> None:
        self.currency_path = currency
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        value = super().get_attribute(instance)
        if value is None:
            return None
        return str(quantize_money(value, attrgetter(self.currency_path)(instance).decimals, ROUND_HALF_UP))


class ScopedUUIDRelatedField(serializers.SlugRelatedField):
    """A related object named by its public UUID, among those the requesting user may see."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="uuid", **kwargs)

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        return scope_queryset(super().get_queryset(), getattr(request, "user", None))


class InvoiceLineSerializer(serializers.ModelSerializer):
    amount = AmountField(currency="invoice.currency")
    tax_amount = AmountField(currency="invoice.currency")
    proration = serializers.CharField(read_only=True)
    tariff = serializers.CharField(source="tariff.code", default=None, read_only=True)
    charge = serializers.CharField(source="charge.code", default=None, read_only=True)

    class Meta:
        model = InvoiceLine
        fields = [
            "id", "position", "kind", "revenue", "description", "service", "tariff", "charge", "subscription",
            "period_start", "period_end", "quantity", "unit_price", "proration", "proration_numerator",
            "proration_denominator", "amount", "tax_category", "tax_name", "tax_rate", "tax_amount", "explanation",
        ]  # fmt: skip


class TaxSummarySerializer(serializers.ModelSerializer):
    base = AmountField(currency="invoice.currency")
    tax_amount = AmountField(currency="invoice.currency")

    class Meta:
        model = InvoiceTaxSummary
        fields = ["name", "rate", "base", "tax_amount"]


class InvoiceEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None, read_only=True)

    class Meta:
        model = InvoiceEvent
        fields = ["from_status", "to_status", "note", "actor", "created_at"]


class InvoiceSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="display_number", read_only=True)
    account = serializers.UUIDField(source="account.uuid", read_only=True)
    account_number = serializers.CharField(source="account.number", read_only=True)
    currency = serializers.CharField(source="currency.code", read_only=True)
    subtotal = AmountField()
    tax_total = AmountField()
    total = AmountField()
    amount_paid = AmountField()
    amount_credited = AmountField()
    amount_written_off = AmountField()
    open_amount = AmountField()

    class Meta:
        model = Invoice
        fields = [
            "uuid", "number", "kind", "status", "account", "account_number", "bill_date", "period_start",
            "period_end", "issue_date", "due_date", "currency", "subtotal", "tax_total", "total", "amount_paid",
            "amount_credited", "amount_written_off", "open_amount", "bill_run_id", "created_at",
        ]  # fmt: skip


class CreditNoteLineSerializer(serializers.ModelSerializer):
    amount = AmountField(currency="credit_note.currency")
    tax_amount = AmountField(currency="credit_note.currency")

    class Meta:
        model = CreditNoteLine
        fields = ["invoice_line", "description", "revenue", "amount", "tax_rate", "tax_amount"]


class CreditNoteSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="display_number", read_only=True)
    invoice = serializers.UUIDField(source="invoice.uuid", read_only=True)
    invoice_number = serializers.CharField(source="invoice.display_number", read_only=True)
    currency = serializers.CharField(source="currency.code", read_only=True)
    subtotal = AmountField()
    tax_total = AmountField()
    total = AmountField()
    lines = CreditNoteLineSerializer(many=True, read_only=True)

    class Meta:
        model = CreditNote
        fields = [
            "uuid", "number", "invoice", "invoice_number", "issue_date", "reason", "currency", "subtotal",
            "tax_total", "total", "lines", "created_at",
        ]  # fmt: skip


class InvoiceDetailSerializer(InvoiceSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)
    tax_summary = TaxSummarySerializer(many=True, read_only=True)
    events = InvoiceEventSerializer(many=True, read_only=True)
    credit_notes = serializers.SlugRelatedField(many=True, read_only=True, slug_field="uuid")

    class Meta(InvoiceSerializer.Meta):
        fields = [*InvoiceSerializer.Meta.fields, "note", "lines", "tax_summary", "events", "credit_notes"]


class RatedUsageSerializer(serializers.ModelSerializer):
    tariff = serializers.CharField(source="tariff.code", default=None, read_only=True)

    class Meta:
        model = RatedUsage
        fields = [
            "id", "record_key", "service", "start", "destination", "usage", "covered_usage", "charged_usage",
            "cost", "tariff", "prefix", "time_band", "prepaid",
        ]  # fmt: skip


# -- requests --------------------------------------------------------------------------------------
class AccountDateSerializer(serializers.Serializer):
    account = ScopedUUIDRelatedField(queryset=BillingAccount.objects.select_related("tenant"))


class PreviewRequestSerializer(AccountDateSerializer):
    as_of = serializers.DateField(required=False, help_text="Default: today in the tenant's time zone.")


class GenerateRequestSerializer(AccountDateSerializer):
    bill_date = serializers.DateField()


class OneOffItemSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=200, required=False, default="")
    unit_price = serializers.DecimalField(max_digits=18, decimal_places=6, required=False, allow_null=True)
    quantity = serializers.DecimalField(max_digits=18, decimal_places=3, default=Decimal("1"))
    tax_category = serializers.CharField(max_length=40, required=False, default="")
    charge = ScopedRelatedField(
        queryset=Charge.objects.select_related("price_plan__product"), required=False, allow_null=True
    )


class OneOffInvoiceRequestSerializer(AccountDateSerializer):
    items = OneOffItemSerializer(many=True, allow_empty=False)
    issue = serializers.BooleanField(default=True)
    charge_date = serializers.DateField(required=False)


class CreditNotePartSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="Invoice line id.")
    amount = serializers.DecimalField(max_digits=26, decimal_places=8)


class CreditNoteRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)
    lines = CreditNotePartSerializer(many=True, required=False, help_text="Omit for a full credit note.")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255, required=False, default="")


class IssueRequestSerializer(serializers.Serializer):
    issue_date = serializers.DateField(required=False)


class OneOffChargeSerializer(serializers.ModelSerializer):
    account = ScopedUUIDRelatedField(queryset=BillingAccount.objects.select_related("tenant"))
    charge = ScopedRelatedField(
        queryset=Charge.objects.select_related("price_plan__product"), required=False, allow_null=True
    )
    invoice = serializers.UUIDField(source="invoice.uuid", default=None, read_only=True)
    unit_price = serializers.DecimalField(max_digits=18, decimal_places=6, required=False, allow_null=True)
    charge_date = serializers.DateField(required=False)

    class Meta:
        model = OneOffCharge
        fields = [
            "uuid", "account", "charge", "description", "quantity", "unit_price", "tax_category", "charge_date",
            "invoice", "created_at",
        ]  # fmt: skip
        extra_kwargs = {"description": {"required": False}}


class TaxRateSerializer(serializers.ModelSerializer):
    tenant = serializers.CharField(source="tenant.code", read_only=True)

    class Meta:
        model = TaxRate
        fields = ["id", "tenant", "category", "name", "rate", "valid_from", "valid_to"]


class AccountDiscountSerializer(serializers.ModelSerializer):
    account = ScopedUUIDRelatedField(queryset=BillingAccount.objects.select_related("tenant"))
    product = ScopedRelatedField(queryset=Product.objects.select_related("tenant"), required=False, allow_null=True)
    starts_on = serializers.DateField(required=False, help_text="Default: today in the tenant's time zone.")
    periods_used = serializers.SerializerMethodField()

    class Meta:
        model = AccountDiscount
        fields = [
            "uuid", "account", "name", "percent", "amount", "periods", "periods_used", "applies_to", "product",
            "starts_on", "ends_on", "source", "reference", "created_at",
        ]  # fmt: skip
        read_only_fields = ["source", "reference"]

    def to_representation(self, instance: AccountDiscount) -> dict[str, Any]:
        data = super().to_representation(instance)
        if instance.amount is not None:
            data["amount"] = str(quantize_money(instance.amount, instance.account.currency.decimals, ROUND_HALF_UP))
        return data

    def get_periods_used(self, discount: AccountDiscount) -> int:
        return discount.lines.exclude(invoice__status="cancelled").values("invoice").distinct().count()
