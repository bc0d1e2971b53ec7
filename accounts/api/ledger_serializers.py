"""Serializers of the money side of the API: wallets (pockets), ledger entries, top-ups and adjustments.

Amounts travel as decimal strings. A top-up is money received, so it is limited to the unit's minor
unit (cents for EUR); an adjustment may carry the ledger's full precision (10 places), because it may
correct sub-cent usage charges. Bad amounts are a 400 naming the `amount` field.
"""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import LedgerEntry, LedgerTransaction, Wallet
from accounts.money import has_at_most_places
from accounts.services.ledger import pocket_floor

from .fields import UnitAmountField, format_amount

LEDGER_PLACES = 10
DECIMAL_STRING = {"type": "string", "format": "decimal", "example": "12.50"}


class WalletSerializer(serializers.ModelSerializer[Wallet]):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    balance = UnitAmountField(read_only=True, help_text="What the customer holds, as a decimal string.")
    available = serializers.SerializerMethodField(
        help_text="What may still be debited: the balance above the pocket's floor (minus the credit limit "
        "for the main pocket of a postpaid or hybrid account, zero otherwise)."
    )

    class Meta:
        model = Wallet
        fields = [
            "id", "billing_account", "unit", "name", "code", "balance", "available",
            "valid_from", "valid_to", "priority", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(DECIMAL_STRING)
    def get_available(self, wallet: Wallet) -> str:
        floor = pocket_floor(wallet) or Decimal("0")
        return format_amount(max(wallet.balance - floor, Decimal("0")), wallet.unit.decimals)


class LedgerEntrySerializer(serializers.ModelSerializer[LedgerEntry]):
    kind = serializers.CharField(source="transaction.kind", read_only=True, help_text="The transaction's kind.")
    description = serializers.CharField(source="transaction.description", read_only=True)
    reference = serializers.CharField(source="transaction.reference", read_only=True)
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    amount = UnitAmountField(read_only=True, help_text="Positive = credit, negative = debit (decimal string).")
    balance_after = UnitAmountField(read_only=True, help_text="The ledger account's balance after this entry.")

    class Meta:
        model = LedgerEntry
        fields = [
            "id", "transaction", "kind", "description", "reference", "ledger_account", "unit",
            "amount", "balance_after", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class LedgerTransactionSerializer(serializers.ModelSerializer[LedgerTransaction]):
    class Meta:
        model = LedgerTransaction
        fields = ["id", "kind", "description", "reference", "created_at"]
        read_only_fields = fields


class WalletMovementSerializer(serializers.Serializer):
    """The answer to a top-up or adjustment: the posted transaction and the pocket after it."""

    transaction = LedgerTransactionSerializer()
    wallet = WalletSerializer()


class _MovementSerializer(serializers.Serializer):
    """Shared amount checks; the wallet being moved comes in the serializer context."""

    # 12 integer digits: far above any real movement, and within Decimal's default 28-digit context.
    amount = serializers.DecimalField(
        max_digits=22,
        decimal_places=LEDGER_PLACES,
        help_text='A positive decimal string, e.g. "10.50". Numbers are accepted only if their text is exact.',
    )
    reference = serializers.CharField(
        max_length=80, required=False, default="", allow_blank=True, help_text="Your reference, e.g. a receipt id."
    )
    max_places: int | None = None  # None: the ledger's precision

    def validate_amount(self, amount: Decimal) -> Decimal:
        if amount <= 0:
            raise serializers.ValidationError("The amount must be greater than zero.")
        unit = self.context["wallet"].unit
        places = unit.decimals if self.max_places is None else self.max_places
        if not has_at_most_places(amount, places):
            raise serializers.ValidationError(f"{unit.code} amounts here have at most {places} decimal places.")
        return amount


class WalletTopUpSerializer(_MovementSerializer):
    """Money received for the pocket (cash, card at a shop, bank transfer...) through `channel`."""

    channel = serializers.SlugField(
        max_length=30,
        required=False,
        default="api",
        help_text="Where the money came in; the top-up is booked against the tenant's cash account of that code.",
    )
    description = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class WalletAdjustSerializer(_MovementSerializer):
    """A manual correction: credit or debit the pocket against the tenant's adjustments account."""

    class Direction:
        CREDIT = "credit"
        DEBIT = "debit"

    direction = serializers.ChoiceField(choices=[Direction.CREDIT, Direction.DEBIT])
    reason = serializers.CharField(max_length=200, help_text="Why; kept on the ledger transaction and the audit event.")
    max_places = LEDGER_PLACES

    def validate_reason(self, reason: str) -> str:
        if not reason.strip():
            raise serializers.ValidationError("An adjustment needs a reason.")
        return reason.strip()
