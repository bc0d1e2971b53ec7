"""The double-entry ledger: ledger accounts (customer pockets and the operator's own), transactions, entries.

Sign convention (one rule, everywhere): an entry's `amount` is positive for a credit and negative for a
debit. A customer pocket's balance is therefore what the customer holds (top-up +, usage -), revenue and
tax payable grow positive, cash and receivables carry negative (debit) balances. Every ledger
transaction's entries sum to zero per unit - the database checks it at commit (see migration 0002).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone

AMOUNT = {"max_digits": 30, "decimal_places": 10}


class LedgerAccountKind(models.TextChoices):
    POCKET = "pocket", "Customer pocket"
    RECEIVABLE = "receivable", "Receivables"
    REVENUE_RECURRING = "revenue_recurring", "Revenue - recurring"
    REVENUE_USAGE = "revenue_usage", "Revenue - usage"
    REVENUE_ONEOFF = "revenue_oneoff", "Revenue - one-off"
    TAX_PAYABLE = "tax_payable", "Tax payable"
    CASH = "cash", "Cash (per gateway)"
    PROMOTIONS_EXPENSE = "promotions_expense", "Promotions expense"
    POINTS_LIABILITY = "points_liability", "Points liability"
    ADJUSTMENTS = "adjustments", "Manual adjustments"
    BREAKAGE = "breakage", "Expired balances (breakage)"
    EXCHANGE = "exchange", "Currency / unit exchange"


class LedgerAccount(models.Model):
    """One ledger account: a customer's pocket (kind=pocket) or one of the operator's own accounts."""

    tenant_lookup = "tenant"

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="ledger_accounts")
    billing_account = models.ForeignKey(
        "accounts.BillingAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts"
    )
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=24, choices=LedgerAccountKind.choices, default=LedgerAccountKind.POCKET)
    code = models.CharField(max_length=40, blank=True, help_text="Distinguishes system accounts, e.g. a gateway.")
    name = models.CharField(max_length=120, blank=True)
    # Kept by the services under the row lock; equals the sum of entries (a test and a selector check it).
    balance = models.DecimalField(**AMOUNT, default=Decimal("0"), editable=False)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_to = models.DateTimeField(null=True, blank=True, db_index=True)
    priority = models.PositiveSmallIntegerField(
        default=100, help_text="Pockets of one unit are consumed lowest priority number first, then earliest expiry."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["tenant", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "unit", "code"],
                condition=models.Q(billing_account__isnull=True),
                name="ledger_system_account_unique",
            ),
            models.UniqueConstraint(
                fields=["billing_account"],
                condition=models.Q(kind="pocket", code="main"),
                name="ledger_one_main_pocket_per_account",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="pocket", billing_account__isnull=False) | ~models.Q(kind="pocket"),
                name="ledger_pocket_has_account",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_to__gt=models.F("valid_from")),
                name="ledger_validity_window_ordered",
            ),
        ]
        indexes = [models.Index(fields=["billing_account", "unit"], name="ledger_account_unit_idx")]

    def __str__(self) -> str:
        label = self.name or self.get_kind_display()
        return f"{label} [{self.unit_id and self.unit.code}]"

    def is_valid_at(self, when: object) -> bool:
        return (self.valid_from is None or self.valid_from <= when) and (self.valid_to is None or when < self.valid_to)


class WalletManager(models.Manager["Wallet"]):
    def get_queryset(self) -> models.QuerySet[Wallet]:
        return super().get_queryset().filter(kind=LedgerAccountKind.POCKET)


class Wallet(LedgerAccount):
    """A customer's pocket: a ledger account of one unit for one billing account."""

    objects = WalletManager()

    class Meta:
        proxy = True
        verbose_name = "wallet (pocket)"
        ordering = ["billing_account", "unit", "priority", "id"]

    def save(self, *args: object, **kwargs: object) -> None:
        self.kind = LedgerAccountKind.POCKET
        if self.billing_account_id and not self.tenant_id:
            self.tenant_id = self.billing_account.tenant_id
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class TransactionKind(models.TextChoices):
    TOP_UP = "top_up", "Top-up"
    ADJUSTMENT = "adjustment", "Adjustment"
    DEBIT = "debit", "Debit / charge"
    USAGE = "usage", "Usage"
    TRANSFER = "transfer", "Pocket transfer"
    EXPIRY = "expiry", "Expiry"
    INVOICE = "invoice", "Invoice"
    CREDIT_NOTE = "credit_note", "Credit note"
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"
    PROMOTION = "promotion", "Promotion"
    REVERSAL = "reversal", "Reversal"


class LedgerTransaction(models.Model):
    """One movement: its entries sum to zero per unit. Append-only; corrected by a reversal."""

    tenant_lookup = "tenant"

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=24, choices=TransactionKind.choices)
    description = models.CharField(max_length=255, blank=True)
    reference = models.CharField(max_length=80, blank=True, db_index=True, help_text="What caused it: invoice:42")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.description}".strip()


class LedgerEntry(models.Model):
    tenant_lookup = "transaction__tenant"

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    ledger_account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    # The unit travels with the amount; the zero-sum check groups by it.
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**AMOUNT, help_text="Positive = credit, negative = debit.")
    balance_after = models.DecimalField(**AMOUNT)
    idempotency_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.UniqueConstraint(
                fields=["ledger_account", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="ledger_entry_idempotency_per_account",
            ),
        ]
        indexes = [models.Index(fields=["ledger_account", "-id"], name="ledger_entry_account_idx")]

    def __str__(self) -> str:
        return f"{self.amount} {self.unit_id and self.unit.code} on {self.ledger_account_id}"


class ExchangeRate(models.Model):
    """How many `to_unit` one `from_unit` is worth from `valid_from` (e.g. 100 points -> 1 EUR = 0.01)."""

    tenant_lookup = "tenant"

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="exchange_rates")
    from_unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    rate = models.DecimalField(max_digits=30, decimal_places=12)
    valid_from = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=80, blank=True, help_text="Where the rate came from, e.g. ECB, manual.")

    class Meta:
        ordering = ["tenant", "from_unit", "to_unit", "-valid_from"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchange_rate_positive"),
            models.UniqueConstraint(fields=["tenant", "from_unit", "to_unit", "valid_from"], name="exchange_rate_once"),
        ]

    def __str__(self) -> str:
        return f"1 {self.from_unit} = {self.rate} {self.to_unit}"
