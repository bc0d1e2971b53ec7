"""Usage import formats (file layouts as data) and each tenant's rating settings.

A `UsageFormat` says how to read one kind of CDR/EDR file: CSV dialect, where each normalised field comes
from (`mapping`), how timestamps are written and in which time zone, and how call legs are treated. Presets
(tenant empty) ship as data for Asterisk `Master.csv`, FreeSWITCH `mod_cdr_csv` and a generic EDR CSV; a
tenant copies one or writes its own in the admin. The parser that reads this lives in
`rating.services.usage.formats`.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .subscriptions import ServiceIdentifierKind

# Normalised fields a mapping may name; `subscriber`, `start` and `record_id` are always required, and a
# usage source per service (`duration` for voice, `volume` for data; SMS count 1 when no column says it).
MAPPING_FIELDS = (
    "record_id",
    "leg",
    "subscriber",
    "destination",
    "service",
    "start",
    "answer",
    "end",
    "duration",
    "volume",
    "volume_up",
    "volume_down",
    "disposition",
)
REQUIRED_MAPPING_FIELDS = ("record_id", "subscriber", "start")


class UsageFormatKind(models.TextChoices):
    CSV = "csv", "CSV"


class LegPolicy(models.TextChoices):
    EACH = "each", "Each leg is a record of its own"
    CONTINUE = "continue", "Legs of one call continue each other (connect fee and first steps once)"


class UsageFormat(models.Model):
    """How to read one file layout. `mapping` maps each normalised field to a column name."""

    tenant_lookup = "tenant"

    tenant = models.ForeignKey(
        "accounts.Tenant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="usage_formats",
        help_text="Empty: a preset every tenant may use.",
    )
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=8, choices=UsageFormatKind.choices, default=UsageFormatKind.CSV)
    has_header = models.BooleanField(default=False, help_text="The first line names the columns.")
    columns = models.JSONField(
        default=list, blank=True, help_text="Column names in file order, for files without a header line."
    )
    delimiter = models.CharField(max_length=1, default=",")
    quotechar = models.CharField(max_length=1, default='"')
    encoding = models.CharField(max_length=20, default="utf-8", help_text="A byte-order mark is skipped.")
    mapping = models.JSONField(default=dict, help_text="Normalised field -> column name.")
    service = models.CharField(
        max_length=8,
        blank=True,
        choices=[("voice", "Voice"), ("sms", "SMS"), ("data", "Data")],
        help_text="Service of every record when no `service` column is mapped.",
    )
    service_values = models.JSONField(
        default=dict, blank=True, help_text='Raw service column value -> voice/sms/data, e.g. {"MOC": "voice"}.'
    )
    answered_values = models.JSONField(
        default=list,
        blank=True,
        help_text="Disposition values of an answered call (e.g. ANSWERED); empty: every record is answered.",
    )
    date_format = models.CharField(
        max_length=40,
        blank=True,
        help_text="strptime format; empty: ISO 8601 (with or without offset); 'epoch': Unix seconds.",
    )
    timezone = models.CharField(
        max_length=64, blank=True, help_text="IANA zone of timestamps without an offset; empty: the tenant's."
    )
    volume_unit = models.PositiveIntegerField(
        default=1, help_text="Bytes per unit of the volume columns (1 = bytes, 1024 = KB)."
    )
    leg_policy = models.CharField(max_length=8, choices=LegPolicy.choices, default=LegPolicy.EACH)
    key_prefix = models.SlugField(
        max_length=12, help_text="Namespace of the record ids (e.g. ast, fs, edr): keys stay unique across sources."
    )
    subscriber_kind = models.CharField(
        max_length=16, choices=ServiceIdentifierKind.choices, default=ServiceIdentifierKind.MSISDN
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["tenant_id", "code"]
        constraints = [
            # NULLS NOT DISTINCT: two presets (tenant empty) cannot share a code either.
            models.UniqueConstraint(fields=["tenant", "code"], name="usage_format_code_once", nulls_distinct=False)
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        mapping = self.mapping if isinstance(self.mapping, dict) else {}
        if not isinstance(self.mapping, dict):
            raise ValidationError({"mapping": "A mapping is an object of field -> column."})
        unknown = sorted(set(mapping) - set(MAPPING_FIELDS))
        if unknown:
            raise ValidationError({"mapping": f"Unknown fields: {', '.join(unknown)}."})
        missing = [field for field in REQUIRED_MAPPING_FIELDS if not mapping.get(field)]
        if missing:
            raise ValidationError({"mapping": f"Map the required fields: {', '.join(missing)}."})
        if not mapping.get("service") and not self.service:
            raise ValidationError({"service": "Map a service column or choose the service of every record."})
        if not self.has_header:
            names = self.columns if isinstance(self.columns, list) else []
            if not names:
                raise ValidationError({"columns": "A file without a header needs its column names in order."})
            absent = sorted({str(col) for col in mapping.values() if col} - {str(n) for n in names})
            if absent:
                raise ValidationError({"mapping": f"Columns not in the column list: {', '.join(absent)}."})
        if self.leg_policy == LegPolicy.CONTINUE and not mapping.get("leg"):
            raise ValidationError({"leg_policy": "Continuing legs needs a `leg` column (sequence number)."})


class RatingSettings(models.Model):
    """A tenant's import and alert settings (one row per tenant, created with defaults on first use)."""

    tenant_lookup = "tenant"

    tenant = models.OneToOneField("accounts.Tenant", on_delete=models.CASCADE, related_name="rating_settings")
    reject_ratio_alert = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.0500"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text="Alert when a file's or run's rejected / read passes this ratio (0.05 = 5 %).",
    )
    late_record_days = models.PositiveSmallIntegerField(
        default=62, help_text="Records older than this many days are rejected as out of order."
    )
    alert_email = models.BooleanField(default=True, help_text="Also e-mail alerts to the operations address.")

    class Meta:
        verbose_name_plural = "rating settings"

    def __str__(self) -> str:
        return f"Rating settings of {self.tenant}"
