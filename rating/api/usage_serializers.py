"""Serializers of the usage API: formats, files (with reconciliation and alerts), runs, rated usage,
rejects, alerts and real-time events."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from rating.models import (
    RatedUsage,
    RatingRun,
    RejectedRecord,
    UsageAlert,
    UsageFile,
    UsageFormat,
)
from rating.models.usage_formats import MAPPING_FIELDS


class UsageAlertSerializer(serializers.ModelSerializer[UsageAlert]):
    class Meta:
        model = UsageAlert
        fields = ["id", "kind", "message", "run", "usage_file", "created_at", "emailed_to", "acknowledged_at"]
        read_only_fields = fields


def _open_alerts(alerts: Any) -> list[dict[str, Any]]:
    return UsageAlertSerializer([a for a in alerts.all() if a.acknowledged_at is None], many=True).data


class UsageFormatSerializer(serializers.ModelSerializer[UsageFormat]):
    preset = serializers.SerializerMethodField(help_text="A shared preset (read-only); copy it to change it.")

    class Meta:
        model = UsageFormat
        fields = [
            "id", "code", "name", "preset", "kind", "has_header", "columns", "delimiter", "quotechar", "encoding",
            "mapping", "service", "service_values", "answered_values", "date_format", "timezone", "volume_unit",
            "leg_policy", "key_prefix", "subscriber_kind", "active",
        ]  # fmt: skip
        read_only_fields = ["id", "preset"]

    def get_preset(self, obj: UsageFormat) -> bool:
        return obj.tenant_id is None

    def validate_mapping(self, value: Any) -> dict[str, str]:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise serializers.ValidationError(
                f"An object of field -> column name; fields: {', '.join(MAPPING_FIELDS)}."
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance = UsageFormat(**{**self._current(), **attrs})
        try:
            instance.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs

    def _current(self) -> dict[str, Any]:
        if self.instance is None:
            return {}
        return {f.name: getattr(self.instance, f.name) for f in UsageFormat._meta.concrete_fields if f.name != "id"}


class UsageFileSerializer(serializers.ModelSerializer[UsageFile]):
    format = serializers.SlugRelatedField(slug_field="code", read_only=True)
    balanced = serializers.BooleanField(read_only=True, help_text="read = rated + rejected + duplicates")
    alerts = serializers.SerializerMethodField(help_text="Open (unacknowledged) alerts of this file.")

    class Meta:
        model = UsageFile
        fields = [
            "id", "name", "format", "source", "status", "checksum", "size", "duplicate_of", "run",
            "lines_read", "rated", "rejected", "duplicates", "conflicts", "balanced", "error",
            "created_at", "started_at", "finished_at", "alerts",
        ]  # fmt: skip
        read_only_fields = fields

    def get_alerts(self, obj: UsageFile) -> list[dict[str, Any]]:
        return _open_alerts(obj.alerts)


class UsageFileUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    format = serializers.SlugField(help_text="Code of the format: a preset (asterisk-master, ...) or your own.")


class RatingRunSerializer(serializers.ModelSerializer[RatingRun]):
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)
    alerts = serializers.SerializerMethodField()

    class Meta:
        model = RatingRun
        fields = [
            "id", "trigger", "status", "started_at", "finished_at", "duration_seconds", "files", "lines_read",
            "rated", "rejected", "duplicates", "errors", "alerts",
        ]  # fmt: skip
        read_only_fields = fields

    def get_alerts(self, obj: RatingRun) -> list[dict[str, Any]]:
        return _open_alerts(obj.alerts)


class RatedUsageRecordSerializer(serializers.ModelSerializer[RatedUsage]):
    currency = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = RatedUsage
        fields = [
            "id", "account", "subscription", "record_key", "service", "start", "destination", "usage",
            "covered_usage", "charged_usage", "cost", "currency", "debited", "prepaid", "flagged", "tariff",
            "tariff_version", "prefix", "time_band", "rate_step", "breakdown", "call_offset", "usage_file",
            "invoice_id", "rated_at",
        ]  # fmt: skip
        read_only_fields = fields


class RejectedRecordSerializer(serializers.ModelSerializer[RejectedRecord]):
    class Meta:
        model = RejectedRecord
        fields = [
            "id", "usage_file", "line_no", "raw_line", "record_key", "reason", "detail", "fields", "corrected",
            "status", "conflicting_usage", "created_at", "resolved_at",
        ]  # fmt: skip
        read_only_fields = [f for f in fields if f != "corrected"]


class RejectedRecordFixSerializer(serializers.Serializer):
    corrected = serializers.DictField(
        help_text="Corrected normalised fields: subscriber, service, start (ISO 8601), usage, destination, answered."
    )


class UsageEventSerializer(serializers.Serializer):
    event_id = serializers.CharField(max_length=100)
    subscriber = serializers.CharField(max_length=64)
    service = serializers.ChoiceField(choices=["voice", "sms", "data"])
    start = serializers.CharField(help_text="ISO 8601; without an offset, the tenant's time zone.")
    duration = serializers.IntegerField(min_value=0, required=False, help_text="Voice: billable seconds.")
    volume = serializers.IntegerField(min_value=0, required=False, help_text="Data: bytes. SMS: count (1).")
    destination = serializers.CharField(max_length=40, required=False, allow_blank=True)
    answered = serializers.BooleanField(required=False, default=True)


class UsageEventsSerializer(serializers.Serializer):
    events = UsageEventSerializer(many=True, help_text="A batch; or send a single event object as the body.")


class UsageEventResultSerializer(serializers.Serializer):
    event_id = serializers.CharField()
    status = serializers.ChoiceField(choices=["rated", "duplicate", "rejected"])
    usage_id = serializers.IntegerField(required=False)
    cost = serializers.CharField(required=False)
    currency = serializers.CharField(required=False)
    covered = serializers.IntegerField(required=False, help_text="Usage covered by allowances.")
    charged_usage = serializers.IntegerField(required=False)
    debited = serializers.CharField(required=False)
    balance_after = serializers.CharField(required=False, allow_null=True)
    flagged = serializers.CharField(required=False)
    reason = serializers.CharField(required=False, help_text="Reject reason code.")
    detail = serializers.CharField(required=False)
