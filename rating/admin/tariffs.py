"""Tariffs in the back office: terms, a preview of the steps, a rate-deck upload and a quote test form.

Steps are read-only here: they arrive through rate decks (`rating.services.rate_deck`), whose import
keeps rates already in force unchanged so old usage re-rates as it was. Each upload's report is the
RateDeckImport page it redirects to. The quote form prices with the same compiled deck as rating.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from accounts.admin.display import admin_link, count_of
from accounts.admin.mixins import ReadOnlyAdminMixin, TenantScopedAdmin
from accounts.exceptions import BillingError
from rating.models import RateDeckImport, RateDeckSource, Tariff, TariffRateStep
from rating.quotes import tariff_quote
from rating.services import rate_deck_import

PREVIEW_STEPS = 50
PREVIEW_COLUMNS = ("prefix", "destination", "band", "from", "interval", "fee", "rate", "unit/increment")
USAGE_LABEL = {"voice": "Duration (seconds)", "sms": "Messages", "data": "Volume (bytes)"}


class RateDeckUploadForm(forms.Form):
    file = forms.FileField(help_text="CSV, UTF-8, header line first: see docs/rating.md for the columns.")


class QuoteForm(forms.Form):
    destination = forms.CharField(required=False, help_text="e.g. +34911223344 (may be empty for data).")
    start = forms.SplitDateTimeField(widget=AdminSplitDateTime, help_text="In your time zone setting.")
    usage = forms.IntegerField(min_value=0)
    usage_so_far = forms.IntegerField(min_value=0, initial=0, help_text="Tiered tariffs: usage earlier in the cycle.")

    def __init__(self, *args: Any, service: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["usage"].label = USAGE_LABEL[service]


@admin.register(Tariff)
class TariffAdmin(TenantScopedAdmin):
    list_display = ("code", "name", "service", "currency", "rounding", "decimals", "step_count", "revision", "tenant")
    list_filter = ("service", "tiered", "tenant")
    search_fields = ("code", "name")
    list_select_related = ("currency", "tenant")
    fields = (
        "tenant", "code", "name", "service", "currency", "rounding", "decimals", "max_cost", "min_charge",
        "min_charge_on_zero", "tiered", "revision", "steps_preview",
    )  # fmt: skip
    change_form_template = "admin/rating/tariff/change_form.html"

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).annotate(steps_total=count_of(TariffRateStep, "tariff"))

    def get_readonly_fields(self, request: HttpRequest, obj: Tariff | None = None) -> Any:
        # Steps are in the service's units (seconds, messages, bytes): the service is fixed once created.
        fixed = ("tenant", "service") if obj is not None else ()
        return (*fixed, "revision", "steps_preview")

    @admin.display(description="steps", ordering="steps_total")
    def step_count(self, obj: Any) -> int:
        return int(obj.steps_total)

    @admin.display(description="steps")
    def steps_preview(self, obj: Tariff) -> str:
        if obj.pk is None:
            return "Import a rate deck after saving."
        steps = list(
            obj.steps.select_related("time_band").order_by("prefix", "effective_from", "interval_start")[:PREVIEW_STEPS]
        )
        url = reverse("admin:rating_tariffratestep_changelist") + f"?tariff__id__exact={obj.pk}"
        link = format_html('<p><a href="{}">Browse all steps ({})</a></p>', url, obj.steps.count())
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}/{}</td></tr>",
            (
                (s.prefix, s.destination, s.time_band or "any", f"{s.effective_from:%Y-%m-%d %H:%M}",
                 s.interval_start, s.connect_fee, s.rate, s.rate_unit, s.increment)
                for s in steps
            ),
        )  # fmt: skip
        head = format_html_join("", "<th>{}</th>", ((c,) for c in PREVIEW_COLUMNS))
        return format_html("{}<table><tr>{}</tr>{}</table>", link, head, rows)

    def get_urls(self) -> list[Any]:
        deck = self.admin_site.admin_view(self.rate_deck_view)
        quote = self.admin_site.admin_view(self.quote_view)
        return [
            path("<path:object_id>/rate-deck/", deck, name="rating_tariff_rate_deck"),
            path("<path:object_id>/quote/", quote, name="rating_tariff_quote"),
            *super().get_urls(),
        ]

    def _tariff_or_404(self, request: HttpRequest, object_id: str) -> Tariff:
        tariff = self.get_object(request, object_id)
        if tariff is None:
            self._get_obj_does_not_exist_redirect(request, self.opts, object_id)  # raises Http404
        assert tariff is not None
        return tariff

    def _page(self, request: HttpRequest, tariff: Tariff, template: str, **context: Any) -> TemplateResponse:
        context = {**self.admin_site.each_context(request), "opts": self.opts, "original": tariff, **context}
        return TemplateResponse(request, f"admin/rating/tariff/{template}", context)

    def rate_deck_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tariff = self._tariff_or_404(request, object_id)
        if not (self.has_change_permission(request, tariff) and request.user.has_perm("rating.add_tariffratestep")):
            raise PermissionDenied
        form = RateDeckUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                record = rate_deck_import(
                    tariff=tariff, file=upload, actor=request.user, file_name=upload.name, source=RateDeckSource.ADMIN
                )
            except BillingError as exc:
                form.add_error("file", exc.message)
            else:
                level = messages.WARNING if record.lines_rejected else messages.SUCCESS
                messages.add_message(
                    request, level,
                    f"Read {record.lines_read} lines: {record.lines_loaded} loaded, {record.lines_unchanged} "
                    f"unchanged, {record.lines_rejected} rejected.",
                )  # fmt: skip
                return HttpResponseRedirect(reverse("admin:rating_ratedeckimport_change", args=[record.pk]))
        return self._page(request, tariff, "rate_deck.html", form=form, title=f"Import a rate deck into {tariff.code}")

    def quote_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tariff = self._tariff_or_404(request, object_id)
        form = QuoteForm(request.POST or None, service=tariff.service)
        result = version = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                result, version = tariff_quote(
                    tariff=tariff, destination=data["destination"], start=data["start"], usage=data["usage"],
                    usage_so_far=data["usage_so_far"] or 0,
                )  # fmt: skip
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except BillingError as exc:
                form.add_error(None, exc.message)
        return self._page(
            request, tariff, "quote.html", form=form, result=result, version=version, title=f"Quote with {tariff.code}"
        )


@admin.register(TariffRateStep)
class TariffRateStepAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    list_display = (
        "prefix", "destination", "time_band", "effective_from", "interval_start", "connect_fee", "rate", "rate_unit",
        "increment", "rounding", "decimals", "max_cost", "tariff",
    )  # fmt: skip
    list_filter = ("tariff", "time_band", "effective_from")
    search_fields = ("=prefix", "destination")
    list_select_related = ("tariff", "time_band")


@admin.register(RateDeckImport)
class RateDeckImportAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    list_display = (
        "created_at", "tariff", "file_name", "source", "lines_read", "lines_loaded", "lines_unchanged",
        "lines_rejected", "created_by",
    )  # fmt: skip
    list_filter = ("source", "tariff", "tenant")
    search_fields = ("file_name", "checksum")
    list_select_related = ("tariff", "created_by")
    date_hierarchy = "created_at"
    fields = (
        "tariff_link", "file_name", "checksum", "size", "source", "lines_read", "lines_loaded", "lines_unchanged",
        "lines_rejected", "created_by", "created_at", "warnings", "rejections",
    )  # fmt: skip
    readonly_fields = fields

    @admin.display(description="tariff")
    def tariff_link(self, obj: RateDeckImport) -> str:
        return admin_link(obj.tariff)

    @admin.display(description="warnings")
    def warnings(self, obj: RateDeckImport) -> str:
        return "; ".join(obj.report.get("warnings", [])) or "-"

    @admin.display(description="rejected lines")
    def rejections(self, obj: RateDeckImport) -> str:
        rejected = obj.report.get("rejections", [])
        if not rejected:
            return "-"
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            ((item["line"], item["reason"], item.get("text", "")) for item in rejected),
        )  # fmt: skip
        more = " (first ones only)" if obj.report.get("rejections_truncated") else ""
        return format_html("<table><tr><th>line</th><th>reason</th><th>as read</th></tr>{}</table>{}", rows, more)
