"""Bank statement imports (CSV, ISO 20022 camt.053) and their lines, matched to invoices or queued
for an operator's review. A line is imported once per tenant (unique bank reference)."""

from __future__ import annotations

import uuid

from django.db import models

from invoicing.models.fields import MONEY


class StatementFormat(models.TextChoices):
    CSV = "csv", "CSV"
    CAMT053 = "camt053", "ISO 20022 camt.053 (XML)"


class BankStatementImport(models.Model):
    tenant_lookup = "tenant"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="+")
    format = models.CharField(max_length=8, choices=StatementFormat.choices)
    file_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    lines_read = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    ambiguous = models.PositiveIntegerField(default=0)
    unknown = models.PositiveIntegerField(default=0)
    ignored = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_format_display()} {self.file_name or self.uuid} ({self.created_at:%Y-%m-%d})"


class MatchStatus(models.TextChoices):
    MATCHED = "matched", "Matched automatically"
    AMBIGUOUS = "ambiguous", "Ambiguous (several candidates)"
    UNKNOWN = "unknown", "Unknown (no candidate)"
    ASSIGNED = "assigned", "Assigned by an operator"
    IGNORED = "ignored", "Ignored (not a customer payment)"


REVIEW_STATUSES = (MatchStatus.AMBIGUOUS, MatchStatus.UNKNOWN)


class Direction(models.TextChoices):
    CREDIT = "credit", "Money in"
    DEBIT = "debit", "Money out"


class BankStatementLine(models.Model):
    tenant_lookup = "tenant"

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="+")
    statement = models.ForeignKey(BankStatementImport, on_delete=models.PROTECT, related_name="lines")
    line_no = models.PositiveIntegerField()
    bank_ref = models.CharField(max_length=140, help_text="The bank's unique id of the entry (AcctSvcrRef).")
    booking_date = models.DateField()
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.CREDIT)
    amount = models.DecimalField(**MONEY)
    currency_code = models.CharField(max_length=16)
    reference = models.CharField(max_length=500, blank=True, help_text="Remittance information.")
    counterparty = models.CharField(max_length=200, blank=True)
    raw = models.TextField(help_text="The line or entry as it was in the file.")
    match_status = models.CharField(max_length=10, choices=MatchStatus.choices)
    candidates = models.JSONField(default=list, blank=True, help_text="Invoice ids that could be meant.")
    invoice = models.ForeignKey("invoicing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        "accounts.BillingAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment = models.OneToOneField(
        "payments.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="statement_line"
    )
    note = models.CharField(max_length=255, blank=True)
    reviewed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["statement", "line_no"]
        constraints = [models.UniqueConstraint(fields=["tenant", "bank_ref"], name="statement_line_once")]
        indexes = [models.Index(fields=["tenant", "match_status"], name="statement_line_review_idx")]

    def __str__(self) -> str:
        return f"{self.booking_date} {self.amount} {self.currency_code} {self.reference[:40]}"
