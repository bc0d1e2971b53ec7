"""Invoices (and prepaid statements), their lines, tax summary per rate and history of transitions.

An invoice total is the sum of its rounded lines plus the tax per rate; the sum of the lines' tax
amounts equals the tax total (the per-rate tax is allocated to lines by largest remainder). Issued
invoices are never edited: corrections are credit notes.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models

from .fields import MONEY, PRICE, QUANTITY, RATE

ZERO = Decimal("0")


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    STATEMENT = "statement", "Statement (prepaid, nothing to pay)"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    ISSUED = "issued", "Issued"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    OVERDUE = "overdue", "Overdue"
    WRITTEN_OFF = "written_off", "Written off"
    CREDITED = "credited", "Fully credited"
    CANCELLED = "cancelled", "Cancelled"


UNNUMBERED_STATUSES = (InvoiceStatus.DRAFT, InvoiceStatus.APPROVED, InvoiceStatus.CANCELLED)


class Invoice(models.Model):
    tenant_lookup = "tenant"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="invoices")
    account = models.ForeignKey("accounts.BillingAccount", on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(max_length=16, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    status = models.CharField(max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    series = models.CharField(max_length=16, blank=True)
    number = models.PositiveBigIntegerField(null=True, blank=True, help_text="Gapless per tenant and series.")
    bill_date = models.DateField(help_text="Bills advance periods starting on or before it, usage before it.")
    period_start = models.DateField()
    period_end = models.DateField(help_text="Last day of the billing period the invoice closes.")
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True, db_index=True)
    currency = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    subtotal = models.DecimalField(**MONEY, default=ZERO)
    tax_total = models.DecimalField(**MONEY, default=ZERO)
    total = models.DecimalField(**MONEY, default=ZERO)
    amount_paid = models.DecimalField(**MONEY, default=ZERO)
    amount_credited = models.DecimalField(**MONEY, default=ZERO)
    amount_written_off = models.DecimalField(**MONEY, default=ZERO)
    # Plain column: the bill-run model arrives with its issue; a run finds its invoices by this id.
    bill_run_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    ledger_transaction = models.ForeignKey(
        "accounts.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "series", "number"],
                condition=models.Q(number__isnull=False),
                name="invoice_number_once_per_series",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=UNNUMBERED_STATUSES) | models.Q(number__isnull=False),
                name="invoice_issued_has_number",
            ),
            models.CheckConstraint(
                condition=models.Q(total=models.F("subtotal") + models.F("tax_total")),
                name="invoice_total_is_lines_plus_tax",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "status"], name="invoice_account_status_idx"),
            models.Index(fields=["tenant", "status", "due_date"], name="invoice_tenant_due_idx"),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        if self.number is None:
            return f"DRAFT-{self.pk}"
        return f"{self.series}-{self.number:06d}"

    @property
    def open_amount(self) -> Decimal:
        """What the customer still owes (negative: the operator owes the customer). Zero for statements
        and for invoices not yet issued."""
        if self.kind == InvoiceKind.STATEMENT or self.status in UNNUMBERED_STATUSES:
            return ZERO
        return self.total - self.amount_paid - self.amount_credited - self.amount_written_off


class LineKind(models.TextChoices):
    RECURRING = "recurring", "Recurring charge"
    QUANTITY = "quantity", "Quantity-based charge"
    ONE_OFF = "one_off", "One-off charge"
    USAGE = "usage", "Usage"
    DISCOUNT = "discount", "Discount"
    PRORATION_CREDIT = "proration_credit", "Proration credit"


class RevenueKind(models.TextChoices):
    """Which revenue ledger account a line posts to (discounts reduce the revenue of what they discount)."""

    RECURRING = "recurring", "Recurring"
    USAGE = "usage", "Usage"
    ONE_OFF = "one_off", "One-off"


class InvoiceLine(models.Model):
    tenant_lookup = "invoice__tenant"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=LineKind.choices)
    revenue = models.CharField(max_length=12, choices=RevenueKind.choices)
    description = models.CharField(max_length=255)
    subscription = models.ForeignKey(
        "rating.Subscription", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    charge = models.ForeignKey("rating.Charge", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    tariff = models.ForeignKey("rating.Tariff", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    service = models.CharField(max_length=8, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    quantity = models.DecimalField(**QUANTITY, default=Decimal("1"))
    unit_price = models.DecimalField(**PRICE, null=True, blank=True, help_text="Per unit for a full period.")
    proration_numerator = models.PositiveIntegerField(null=True, blank=True)
    proration_denominator = models.PositiveIntegerField(null=True, blank=True)
    amount = models.DecimalField(**MONEY, help_text="Rounded to the currency's minor unit (tenant's rule).")
    tax_category = models.CharField(max_length=40, blank=True)
    tax_rate = models.DecimalField(**RATE, default=ZERO)
    tax_rate_ref = models.ForeignKey(
        "invoicing.TaxRate", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tax_name = models.CharField(max_length=80, blank=True)
    tax_amount = models.DecimalField(**MONEY, default=ZERO)
    explanation = models.JSONField(default=dict, blank=True)
    # Set on the lines of an account discount: counting its invoices tells how many periods are used.
    account_discount = models.ForeignKey(
        "invoicing.AccountDiscount", null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position_once"),
            models.CheckConstraint(
                condition=models.Q(proration_denominator__isnull=True) | models.Q(proration_denominator__gt=0),
                name="invoice_line_proration_denominator_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"

    @property
    def proration(self) -> str:
        if self.proration_denominator is None:
            return ""
        return f"{self.proration_numerator}/{self.proration_denominator}"


class InvoiceTaxSummary(models.Model):
    """Tax per rate: rate x (sum of the rounded lines of that rate), rounded once."""

    tenant_lookup = "invoice__tenant"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="tax_summary")
    tax_rate = models.ForeignKey("invoicing.TaxRate", null=True, blank=True, on_delete=models.PROTECT)
    name = models.CharField(max_length=80)
    rate = models.DecimalField(**RATE)
    base = models.DecimalField(**MONEY)
    tax_amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["invoice", "-rate", "name"]
        verbose_name_plural = "invoice tax summary"
        constraints = [models.UniqueConstraint(fields=["invoice", "name", "rate"], name="invoice_tax_rate_once")]

    def __str__(self) -> str:
        return f"{self.name}: {self.tax_amount} on {self.base}"


class InvoiceEvent(models.Model):
    """History of an invoice: every transition, who made it and why."""

    tenant_lookup = "invoice__tenant"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["invoice", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"
