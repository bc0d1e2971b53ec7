"""Usage files, rating runs, rejected records and alerts: the paper trail of every import.

Conservation, for every file: `lines_read = rated + rejected + duplicates` (a conflict - same record key,
other content - is a rejected record with reason `conflict`, so it counts among the rejected). A file is
identified by its checksum per tenant: the same bytes under another name are a duplicate of the first file.
"""

from __future__ import annotations

from django.db import models


class UsageSource(models.TextChoices):
    INBOX = "inbox", "Inbox folder"
    API = "api", "API upload"
    CLI = "cli", "Command line"
    REALTIME = "realtime", "Real-time API"
    DEMO = "demo", "Demo data"


class UsageFileStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    DONE = "done", "Done"
    DUPLICATE = "duplicate", "Duplicate file"
    FAILED = "failed", "Failed"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    DONE_WITH_ERRORS = "done_with_errors", "Done with errors"
    FAILED = "failed", "Failed"


class RatingRun(models.Model):
    """One pass of the importer over some files (an inbox scan, an upload, a CLI import)."""

    tenant_lookup = "tenant"

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="rating_runs")
    trigger = models.CharField(max_length=16, choices=UsageSource.choices)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    files = models.PositiveIntegerField(default=0)
    lines_read = models.PositiveBigIntegerField(default=0)
    rated = models.PositiveBigIntegerField(default=0)
    rejected = models.PositiveBigIntegerField(default=0)
    duplicates = models.PositiveBigIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="File-level errors: [{file, error}].")

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Rating run #{self.pk} ({self.get_status_display()})"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class UsageFile(models.Model):
    """A CDR/EDR file handed to the importer, with its reconciliation counts and resume cursor."""

    tenant_lookup = "tenant"

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="usage_files")
    format = models.ForeignKey("rating.UsageFormat", on_delete=models.PROTECT, related_name="files")
    run = models.ForeignKey(RatingRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="usage_files")
    name = models.CharField(max_length=255)
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the file's bytes.")
    size = models.PositiveBigIntegerField(default=0)
    source = models.CharField(max_length=16, choices=UsageSource.choices)
    stored_path = models.CharField(max_length=500, blank=True, help_text="Where the file is kept (archive).")
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="copies", help_text="Same bytes."
    )
    status = models.CharField(max_length=12, choices=UsageFileStatus.choices, default=UsageFileStatus.PENDING)
    lines_read = models.PositiveBigIntegerField(default=0)
    rated = models.PositiveBigIntegerField(default=0)
    rejected = models.PositiveBigIntegerField(default=0)
    duplicates = models.PositiveBigIntegerField(default=0)
    conflicts = models.PositiveBigIntegerField(default=0, help_text="Rejected as conflicts (among the rejected).")
    lines_done = models.PositiveBigIntegerField(default=0, help_text="Resume cursor: data lines committed.")
    error = models.TextField(blank=True)
    uploaded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The first file with these bytes is the original; later copies point at it.
            models.UniqueConstraint(
                fields=["tenant", "checksum"],
                condition=models.Q(duplicate_of__isnull=True),
                name="usage_file_checksum_once",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def balanced(self) -> bool:
        """Conservation: every line read was rated, rejected or counted as a duplicate."""
        return self.lines_read == self.rated + self.rejected + self.duplicates

    @property
    def reject_ratio(self) -> float:
        return self.rejected / self.lines_read if self.lines_read else 0.0


class RejectReason(models.TextChoices):
    MALFORMED = "malformed", "Malformed field"
    TRUNCATED = "truncated", "Truncated line"
    UNKNOWN_SUBSCRIBER = "unknown_subscriber", "Unknown subscriber"
    ACCOUNT_BARRED = "account_barred", "Account suspended or closed"
    NO_TARIFF = "no_tariff", "No tariff"
    UNKNOWN_SERVICE = "unknown_service", "Unknown service"
    OUT_OF_ORDER = "out_of_order", "Out-of-order date"
    CONFLICT = "conflict", "Same record id, other content"


class RejectStatus(models.TextChoices):
    OPEN = "open", "Open"
    FIXED = "fixed", "Fixed, waiting for replay"
    REPLAYED = "replayed", "Replayed and rated"
    DISMISSED = "dismissed", "Dismissed"


class RejectedRecord(models.Model):
    """A record that could not be rated, kept whole so it can be corrected and replayed."""

    tenant_lookup = "tenant"

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="+")
    usage_file = models.ForeignKey(UsageFile, null=True, blank=True, on_delete=models.PROTECT, related_name="rejects")
    line_no = models.PositiveBigIntegerField(default=0, help_text="Line in the file (1 = first line).")
    raw_line = models.TextField()
    record_key = models.CharField(max_length=128, help_text="Record id, or a hash of the raw line when unreadable.")
    content_hash = models.BigIntegerField(default=0)
    reason = models.CharField(max_length=24, choices=RejectReason.choices)
    detail = models.CharField(max_length=255, blank=True)
    fields = models.JSONField(default=dict, blank=True, help_text="The normalised fields that could be read.")
    corrected = models.JSONField(default=dict, blank=True, help_text="Corrections applied at replay.")
    status = models.CharField(max_length=12, choices=RejectStatus.choices, default=RejectStatus.OPEN)
    conflicting_usage = models.ForeignKey(
        "rating.RatedUsage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["tenant", "record_key"], name="rejected_record_key"),
            models.Index(fields=["tenant", "status", "reason"], name="rejected_record_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} line {self.line_no}"


class AlertKind(models.TextChoices):
    PARSE_FAILURE = "parse_failure", "File cannot be parsed"
    REJECT_RATIO = "reject_ratio", "Reject ratio above threshold"
    RUN_ERROR = "run_error", "Run error"


class UsageAlert(models.Model):
    """Something the operations team must look at; also e-mailed to the tenant's operations address."""

    tenant_lookup = "tenant"

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="usage_alerts")
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    message = models.CharField(max_length=500)
    run = models.ForeignKey(RatingRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    usage_file = models.ForeignKey(UsageFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_to = models.CharField(max_length=254, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"
