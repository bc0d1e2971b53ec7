"""Credit notes: the only correction of an issued invoice (full or partial, with a reason).

A credit note is numbered in its own gapless series when created and posts the mirror of its part
of the invoice to the ledger.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models

from .fields import MONEY, RATE

ZERO = Decimal("0")


class CreditNote(models.Model):
    tenant_lookup = "tenant"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="credit_notes")
    account = models.ForeignKey("accounts.BillingAccount", on_delete=models.PROTECT, related_name="credit_notes")
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="credit_notes")
    series = models.CharField(max_length=16)
    number = models.PositiveBigIntegerField()
    issue_date = models.DateField()
    reason = models.CharField(max_length=255)
    currency = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    subtotal = models.DecimalField(**MONEY, default=ZERO, help_text="Positive: the amount credited before tax.")
    tax_total = models.DecimalField(**MONEY, default=ZERO)
    total = models.DecimalField(**MONEY, default=ZERO)
    ledger_transaction = models.ForeignKey(
        "accounts.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "series", "number"], name="credit_note_number_once_per_series"),
            models.CheckConstraint(
                condition=models.Q(total=models.F("subtotal") + models.F("tax_total")),
                name="credit_note_total_is_lines_plus_tax",
            ),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"{self.series}-{self.number:06d}"


class CreditNoteLine(models.Model):
    """The credited part of one invoice line (amounts positive = credited to the customer)."""

    tenant_lookup = "credit_note__tenant"

    credit_note = models.ForeignKey(CreditNote, on_delete=models.PROTECT, related_name="lines")
    invoice_line = models.ForeignKey("invoicing.InvoiceLine", on_delete=models.PROTECT, related_name="credits")
    description = models.CharField(max_length=255)
    revenue = models.CharField(max_length=12)
    amount = models.DecimalField(**MONEY)
    tax_rate = models.DecimalField(**RATE, default=ZERO)
    tax_amount = models.DecimalField(**MONEY, default=ZERO)

    class Meta:
        ordering = ["credit_note", "id"]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"
