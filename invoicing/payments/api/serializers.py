"""Serializers of the payments API. Amounts are strings at their unit's exponent ("12.30", "0.00150000");
accounts and invoices are named by their public UUID."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.api.fields import UnitAmountField
from accounts.models import BillingAccount, Unit
from invoicing.api.serializers import AmountField, ScopedUUIDRelatedField
from invoicing.models import Invoice
from invoicing.payments.models import (
    OFFLINE_GATEWAY_CHOICES,
    BankStatementImport,
    BankStatementLine,
    Payment,
    PaymentAllocation,
    PaymentEvent,
    PaymentPurpose,
    Refund,
    StatementFormat,
)


class AllocationSerializer(serializers.ModelSerializer):
    invoice = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    invoice_number = serializers.CharField(source="invoice.display_number", read_only=True)
    amount = AmountField(currency="payment.currency")

    class Meta:
        model = PaymentAllocation
        fields = ["id", "invoice", "invoice_number", "amount", "source", "note", "created_at"]


class RefundSerializer(serializers.ModelSerializer):
    amount = AmountField(currency="payment.currency")
    fee = AmountField(currency="payment.currency")

    class Meta:
        model = Refund
        fields = ["uuid", "kind", "status", "amount", "fee", "reason", "gateway_refund_id", "failure_reason"]
        fields += ["created_at", "completed_at"]


class PaymentEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentEvent
        fields = ["kind", "from_status", "to_status", "detail", "created_at"]


class PaymentSerializer(serializers.ModelSerializer):
    account = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    invoice = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    unit = serializers.CharField(source="unit.code", read_only=True)
    currency = serializers.CharField(source="currency.code", read_only=True)
    amount = UnitAmountField(unit_source="unit", read_only=True)
    settled_amount = AmountField()
    amount_allocated = AmountField()
    amount_refunded = AmountField()
    amount_charged_back = AmountField()
    unallocated = AmountField()

    class Meta:
        model = Payment
        fields = [
            "uuid", "account", "gateway", "method", "purpose", "invoice", "status", "amount", "unit",
            "settled_amount", "currency", "exchange_rate", "exchange_rate_source", "exchange_rate_at",
            "amount_allocated", "amount_refunded", "amount_charged_back", "unallocated", "gateway_payment_id",
            "checkout_url", "reference", "payer", "failure_code", "failure_reason", "auto_pay", "received_at",
            "created_at",
        ]  # fmt: skip


class PaymentDetailSerializer(PaymentSerializer):
    allocations = AllocationSerializer(many=True, read_only=True)
    refunds = RefundSerializer(many=True, read_only=True)
    events = PaymentEventSerializer(many=True, read_only=True)

    class Meta(PaymentSerializer.Meta):
        fields = [*PaymentSerializer.Meta.fields, "allocations", "refunds", "events"]


class ManualPaymentSerializer(serializers.Serializer):
    """Money an operator received: bank transfer, cash or cheque (optionally in another unit)."""

    account = ScopedUUIDRelatedField(queryset=BillingAccount.objects.all())
    amount = serializers.DecimalField(max_digits=26, decimal_places=8)
    gateway = serializers.ChoiceField(choices=OFFLINE_GATEWAY_CHOICES)
    unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all(), required=False)
    invoice = ScopedUUIDRelatedField(queryset=Invoice.objects.all(), required=False, allow_null=True)
    purpose = serializers.ChoiceField(choices=PaymentPurpose.choices, default=PaymentPurpose.INVOICE)
    reference = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    payer = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    received_at = serializers.DateTimeField(required=False)
    exchange_rate = serializers.DecimalField(max_digits=30, decimal_places=12, required=False)
    exchange_rate_source = serializers.CharField(max_length=80, required=False, default="", allow_blank=True)


class StripePaymentSerializer(serializers.Serializer):
    """A card payment with the account's saved card, or a Checkout page for the portal."""

    account = ScopedUUIDRelatedField(queryset=BillingAccount.objects.all())
    amount = serializers.DecimalField(max_digits=26, decimal_places=8)
    invoice = ScopedUUIDRelatedField(queryset=Invoice.objects.all(), required=False, allow_null=True)
    purpose = serializers.ChoiceField(choices=PaymentPurpose.choices, default=PaymentPurpose.INVOICE)


class AllocationItemSerializer(serializers.Serializer):
    invoice = ScopedUUIDRelatedField(queryset=Invoice.objects.all())
    amount = serializers.DecimalField(max_digits=26, decimal_places=8, min_value=0)


class AllocationsSetSerializer(serializers.Serializer):
    """The payment's allocation per invoice after the edit; invoices left out are released to credit."""

    allocations = AllocationItemSerializer(many=True)
    note = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)


class RefundRequestSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=26, decimal_places=8)
    reason = serializers.CharField(max_length=255)


class ReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)
    code = serializers.CharField(max_length=60, default="returned")


class StatementLineSerializer(serializers.ModelSerializer):
    invoice = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    account = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    payment = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    candidates = serializers.SerializerMethodField()

    class Meta:
        model = BankStatementLine
        fields = [
            "id", "line_no", "bank_ref", "booking_date", "direction", "amount", "currency_code", "reference",
            "counterparty", "match_status", "candidates", "invoice", "account", "payment", "note", "reviewed_at",
        ]  # fmt: skip

    def get_candidates(self, line: BankStatementLine) -> list[str]:
        return [str(u) for u in Invoice.objects.filter(pk__in=line.candidates).values_list("uuid", flat=True)]


class StatementSerializer(serializers.ModelSerializer):
    class Meta:
        model = BankStatementImport
        fields = [
            "uuid", "format", "file_name", "sha256", "lines_read", "matched", "ambiguous", "unknown", "ignored",
            "duplicates", "created_at",
        ]  # fmt: skip


class StatementDetailSerializer(StatementSerializer):
    lines = StatementLineSerializer(many=True, read_only=True)

    class Meta(StatementSerializer.Meta):
        fields = [*StatementSerializer.Meta.fields, "lines"]


class StatementUploadSerializer(serializers.Serializer):
    """A statement file; for CSV, the column names and formats when they differ from the defaults."""

    file = serializers.FileField()
    format = serializers.ChoiceField(choices=StatementFormat.choices)
    tenant = serializers.IntegerField(required=False, help_text="Default: your own tenant.")
    date_column = serializers.CharField(default="date")
    amount_column = serializers.CharField(default="amount")
    currency_column = serializers.CharField(default="currency")
    reference_column = serializers.CharField(default="reference")
    counterparty_column = serializers.CharField(default="counterparty")
    id_column = serializers.CharField(default="id")
    delimiter = serializers.CharField(default=",", max_length=1)
    date_format = serializers.CharField(default="%Y-%m-%d")
    decimal_comma = serializers.BooleanField(default=False)


class LineAssignSerializer(serializers.Serializer):
    invoice = ScopedUUIDRelatedField(queryset=Invoice.objects.all(), required=False, allow_null=True)
    account = ScopedUUIDRelatedField(queryset=BillingAccount.objects.all(), required=False, allow_null=True)
    note = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("invoice") and not attrs.get("account"):
            raise serializers.ValidationError("Name the invoice or the account the line pays.")
        return attrs


class LineIgnoreSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=255)


class ReconciliationQuerySerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()


class ReconciliationRowSerializer(serializers.Serializer):
    day = serializers.DateField()
    gateway = serializers.CharField()
    currency = serializers.CharField()
    payments = serializers.IntegerField()
    received = serializers.CharField()
    allocated = serializers.CharField()
    credit = serializers.CharField()
    refunded = serializers.CharField()
    unmatched_lines = serializers.IntegerField()
    unmatched = serializers.CharField()
    balanced = serializers.BooleanField()
