"""Back office for the usage import: formats (column mapping form), files with their reconciliation page and
replay button, rating runs, the rejects queue (correct, replay, dismiss), rated usage (read-only, with the
recomputed explanation) and alerts (acknowledge). Rows are written by the services, never by a bare form.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from accounts.admin.display import admin_link
from accounts.admin.mixins import ReadOnlyAdminMixin, TenantScopedAdmin
from accounts.exceptions import BillingError
from accounts.tenancy import scope_queryset, sees_everything
from rating.models import (
    RatedUsage,
    RatingRun,
    RatingSettings,
    RejectedRecord,
    RejectStatus,
    UsageAlert,
    UsageFile,
    UsageFormat,
)
from rating.models.usage_formats import MAPPING_FIELDS
from rating.services.usage.explain import rated_usage_explain
from rating.services.usage.rejects import (
    CORRECTABLE,
    rejected_record_dismiss,
    rejected_record_fix,
    rejected_records_replay,
)
from rating.services.usage.runs import usage_alert_acknowledge


class _UsageFormatFormBase(forms.ModelForm):
    """The column mapping as one field per normalised field, stored as the format's `mapping` JSON."""

    class Meta:
        model = UsageFormat
        fields = (
            "tenant", "code", "name", "active", "key_prefix", "subscriber_kind", "kind", "has_header", "columns",
            "delimiter", "quotechar", "encoding", "service", "service_values", "answered_values", "date_format",
            "timezone", "volume_unit", "leg_policy",
        )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, column in (self.instance.mapping or {}).items():
            if f"map_{name}" in self.fields:
                self.fields[f"map_{name}"].initial = column

    def add_error(self, field: str | None, error: Any) -> None:
        # The model's own checks name `mapping`, which this form shows as one input per field.
        if field is None and hasattr(error, "error_dict") and "mapping" in error.error_dict:
            error = ValidationError(
                {(NON_FIELD_ERRORS if k == "mapping" else k): v for k, v in error.error_dict.items()}
            )
        super().add_error(field, error)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.instance.mapping = {n: cleaned[f"map_{n}"].strip() for n in MAPPING_FIELDS if cleaned.get(f"map_{n}")}
        return cleaned


# Declared on the class (the admin validates its fieldsets against the form's declared fields).
UsageFormatForm = type(
    "UsageFormatForm",
    (_UsageFormatFormBase,),
    {f"map_{n}": forms.CharField(required=False, label=f"Column for {n.replace('_', ' ')}") for n in MAPPING_FIELDS},
)


@admin.register(UsageFormat)
class UsageFormatAdmin(TenantScopedAdmin):
    form = UsageFormatForm
    list_display = ("code", "name", "owner", "key_prefix", "has_header", "service", "leg_policy", "active")
    list_filter = ("active", "leg_policy")
    search_fields = ("code", "name")
    actions = ("copy_to_my_tenant",)

    def get_fieldsets(self, request: HttpRequest, obj: UsageFormat | None = None) -> Any:
        mapping = tuple(f"map_{name}" for name in MAPPING_FIELDS)
        return (
            (None, {"fields": ("tenant", "code", "name", "active", "key_prefix", "subscriber_kind")}),
            ("File layout", {"fields": ("kind", "has_header", "columns", "delimiter", "quotechar", "encoding")}),
            ("Column mapping", {"fields": mapping}),
            (
                "Values",
                {
                    "fields": (
                        "service",
                        "service_values",
                        "answered_values",
                        "date_format",
                        "timezone",
                        "volume_unit",
                        "leg_policy",
                    )
                },
            ),
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[UsageFormat]:
        # The presets (tenant empty) are shared: everyone sees them, only platform staff change them.
        own = scope_queryset(UsageFormat.objects.all(), request.user)
        return (own | UsageFormat.objects.filter(tenant__isnull=True)).distinct()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.tenant_id is None and not sees_everything(request.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj) and super().has_delete_permission(request, obj)

    @admin.display(description="owner")
    def owner(self, obj: UsageFormat) -> str:
        return str(obj.tenant) if obj.tenant_id else "preset"

    @admin.action(description="Copy to my tenant (to change a preset)")
    def copy_to_my_tenant(self, request: HttpRequest, queryset: QuerySet[UsageFormat]) -> None:
        if not request.user.tenant_id:
            self.message_user(request, "Platform staff have no tenant to copy to.", messages.ERROR)
            return
        for fmt in queryset:
            fmt.pk = None
            fmt.tenant_id = request.user.tenant_id
            fmt.code = f"{fmt.code}-own"[:40]
            if not UsageFormat.objects.filter(tenant_id=fmt.tenant_id, code=fmt.code).exists():
                fmt.save()
        self.message_user(request, "Copied; the copies end in -own.")


class ReconciledMixin:
    @admin.display(description="balanced", boolean=True)
    def conserved(self, obj: Any) -> bool:
        return obj.lines_read == obj.rated + obj.rejected + obj.duplicates


@admin.register(UsageFile)
class UsageFileAdmin(ReconciledMixin, ReadOnlyAdminMixin, TenantScopedAdmin):
    list_display = ("name", "tenant", "format", "source", "status", "lines_read", "rated", "rejected", "duplicates",
                    "conflicts", "conserved", "created_at")  # fmt: skip
    list_filter = ("status", "source", "format", "tenant")
    search_fields = ("name", "checksum")
    list_select_related = ("tenant", "format")
    change_form_template = "admin/rating/usagefile/change_form.html"
    readonly_fields = ("name", "tenant", "format", "run", "source", "status", "checksum", "size", "duplicate_of",
                       "stored_path", "lines_read", "rated", "rejected", "duplicates", "conflicts", "lines_done",
                       "error", "uploaded_by", "created_at", "started_at", "finished_at")  # fmt: skip

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        replay = path(
            "<path:object_id>/replay/", self.admin_site.admin_view(self.replay_view), name="rating_usagefile_replay"
        )
        return [replay, *super().get_urls()]

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        if object_id:
            usage_file = self.get_object(request, object_id)
            if usage_file is not None:
                extra["reasons"] = (
                    RejectedRecord.objects.filter(usage_file=usage_file)
                    .values("reason")
                    .annotate(total=Count("id"), open=Count("id", filter=Q(status__in=["open", "fixed"])))
                    .order_by("reason")
                )
                extra["alerts"] = usage_file.alerts.all()
                extra["replay_url"] = reverse("admin:rating_usagefile_replay", args=[usage_file.pk])
                extra["rejects_url"] = (
                    reverse("admin:rating_rejectedrecord_changelist") + f"?usage_file__id__exact={usage_file.pk}"
                )
                extra["usage_url"] = reverse("admin:rating_ratedusage_changelist") + f"?usage_file={usage_file.pk}"
                extra["can_replay"] = request.user.has_perm("rating.add_ratedusage")
        return super().changeform_view(request, object_id, form_url, extra)

    def replay_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        usage_file = self.get_object(request, object_id)
        if usage_file is None or request.method != "POST" or not request.user.has_perm("rating.add_ratedusage"):
            return HttpResponseRedirect(reverse("admin:rating_usagefile_changelist"))
        try:
            result = rejected_records_replay(
                rejects=RejectedRecord.objects.filter(usage_file=usage_file, status__in=["open", "fixed"]).order_by(
                    "id"
                ),
                actor=request.user,
            )
        except BillingError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(
                request,
                f"Replayed: {result.rated} rated, {result.duplicates} duplicates, {result.rejected} still rejected.",
            )
        return HttpResponseRedirect(reverse("admin:rating_usagefile_change", args=[usage_file.pk]))


class UsageFileInline(ReconciledMixin, admin.TabularInline):
    model = UsageFile
    fields = ("name", "status", "lines_read", "rated", "rejected", "duplicates", "conserved")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RatingRun)
class RatingRunAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    list_display = ("id", "tenant", "trigger", "status", "started_at", "duration", "files", "lines_read", "rated",
                    "rejected", "duplicates")  # fmt: skip
    list_filter = ("status", "trigger", "tenant")
    readonly_fields = ("tenant", "trigger", "status", "started_at", "finished_at", "files", "lines_read", "rated",
                       "rejected", "duplicates", "errors")  # fmt: skip
    inlines = (UsageFileInline,)

    @admin.display(description="seconds")
    def duration(self, obj: RatingRun) -> str:
        seconds = obj.duration_seconds
        return "running" if seconds is None else f"{seconds:.1f}"


class _RejectedRecordFormBase(forms.ModelForm):
    """Corrections of the normalised fields, one input each; saved through `rejected_record_fix`."""

    class Meta:
        model = RejectedRecord
        fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        read = {**(self.instance.fields or {}), **(self.instance.corrected or {})}
        for name in CORRECTABLE:
            self.fields[f"fix_{name}"].initial = read.get(name, "")

    def corrections(self) -> dict[str, Any]:
        read = {**(self.instance.fields or {}), **(self.instance.corrected or {})}
        changes = {}
        for name in CORRECTABLE:
            value = self.cleaned_data.get(f"fix_{name}", "").strip()
            if value and str(read.get(name, "")) != value:
                changes[name] = value
        return changes


_HINTS = {"start": "ISO 8601 with an offset", "usage": "seconds, messages or bytes"}
RejectedRecordForm = type(
    "RejectedRecordForm",
    (_RejectedRecordFormBase,),
    {
        f"fix_{n}": forms.CharField(required=False, label=f"Corrected {n}", help_text=_HINTS.get(n, ""))
        for n in CORRECTABLE
    },
)


@admin.register(RejectedRecord)
class RejectedRecordAdmin(TenantScopedAdmin):
    form = RejectedRecordForm
    list_display = ("id", "file_link", "line_no", "reason", "status", "detail", "created_at")
    list_filter = ("status", "reason", ("usage_file", admin.RelatedOnlyFieldListFilter))
    search_fields = ("record_key", "raw_line", "detail")
    list_select_related = ("usage_file",)
    readonly_fields = (
        "tenant", "usage_file", "line_no", "record_key", "reason", "detail", "status", "raw", "read_fields",
        "corrected", "conflicting_usage", "created_at", "resolved_at", "resolved_by",
    )  # fmt: skip
    actions = ("replay", "dismiss")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*self.readonly_fields, *(f"fix_{name}" for name in CORRECTABLE))

    def save_model(self, request: HttpRequest, obj: RejectedRecord, form: Any, change: bool) -> None:
        self.check_save_scope(request, obj)
        changes = form.corrections()
        if changes:
            rejected_record_fix(reject=obj, corrected=changes, actor=request.user)

    @admin.display(description="raw line")
    def raw(self, obj: RejectedRecord) -> str:
        return format_html("<code style='white-space:pre-wrap'>{}</code>", obj.raw_line)

    @admin.display(description="fields read")
    def read_fields(self, obj: RejectedRecord) -> str:
        return format_html("<code>{}</code>", json.dumps(obj.fields, indent=1))

    @admin.display(description="file", ordering="usage_file")
    def file_link(self, obj: RejectedRecord) -> str:
        return admin_link(obj.usage_file) if obj.usage_file_id else "real-time"

    @admin.action(description="Replay (re-rate) the selected records")
    def replay(self, request: HttpRequest, queryset: QuerySet[RejectedRecord]) -> None:
        try:
            result = rejected_records_replay(rejects=queryset.order_by("id"), actor=request.user)
        except BillingError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(
            request, f"{result.rated} rated, {result.duplicates} duplicates, {result.rejected} still rejected."
        )

    @admin.action(description="Dismiss the selected records (never rate them)")
    def dismiss(self, request: HttpRequest, queryset: QuerySet[RejectedRecord]) -> None:
        for reject in queryset.exclude(status=RejectStatus.REPLAYED):
            rejected_record_dismiss(reject=reject, actor=request.user)


@admin.register(RatedUsage)
class RatedUsageAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    list_display = ("start", "account", "service", "destination", "usage", "covered_usage", "cost", "debited",
                    "flagged", "prefix", "time_band")  # fmt: skip
    list_filter = ("service", "prepaid", "flagged")
    search_fields = ("=record_key", "=destination", "=account__number")
    list_select_related = ("account",)
    show_full_result_count = False  # a count(*) over every rated call is not worth a page load
    readonly_fields = ("record_key", "account", "subscription", "service", "start", "destination", "usage",
                       "covered_usage", "charged_usage", "cost", "debited", "prepaid", "flagged", "tariff",
                       "tariff_version", "prefix", "time_band", "rate_step", "call_offset", "breakdown", "usage_file",
                       "invoice_id", "rated_at", "explanation")  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet[RatedUsage]:
        queryset = super().get_queryset(request)
        file_id = request.GET.get("usage_file")
        # A file's calls (the reconciliation page links here); not a sidebar filter, the table is large.
        return queryset.filter(usage_file_id=file_id) if file_id and file_id.isdecimal() else queryset

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        return lookup == "usage_file" or super().lookup_allowed(lookup, value, request)

    @admin.display(description="how the price was reached (recomputed)")
    def explanation(self, obj: RatedUsage) -> str:
        return format_html("<pre>{}</pre>", json.dumps(rated_usage_explain(usage=obj), indent=1))


@admin.register(UsageAlert)
class UsageAlertAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    list_display = ("created_at", "tenant", "kind", "message", "file_link", "emailed_to", "acknowledged_at")
    list_filter = ("kind", ("acknowledged_at", admin.EmptyFieldListFilter), "tenant")
    actions = ("acknowledge",)

    @admin.display(description="file")
    def file_link(self, obj: UsageAlert) -> str:
        return admin_link(obj.usage_file) if obj.usage_file_id else "-"

    @admin.action(description="Acknowledge the selected alerts")
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[UsageAlert]) -> None:
        for alert in queryset:
            usage_alert_acknowledge(alert=alert, actor=request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Acknowledging is an action on the list; the rows themselves are read-only.
        return obj is None and request.user.has_perm("rating.change_usagealert")


@admin.register(RatingSettings)
class RatingSettingsAdmin(TenantScopedAdmin):
    list_display = ("tenant", "reject_ratio_alert", "late_record_days", "alert_email")


def alerts_summary(alerts: QuerySet[UsageAlert]) -> str:
    return format_html_join("", "<li>{}</li>", ((str(a),) for a in alerts))
