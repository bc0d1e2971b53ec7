"""Back office for bank statements: upload a file (CSV or camt.053), see its lines and what they paid,
and work the review queue (assign a line to an invoice or account, or ignore it)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.admin.display import admin_link, amount_text
from accounts.exceptions import BillingError
from accounts.money import MoneyError
from invoicing.admin import ReadOnlyAdmin, ReadOnlyInline
from invoicing.payments.models import REVIEW_STATUSES, BankStatementImport, BankStatementLine
from invoicing.payments.statements.services import bank_statement_import, statement_line_assign, statement_line_ignore

from .forms import LineAssignForm, StatementUploadForm
from .payments import form_page, refused


def line_amount(line: BankStatementLine) -> str:
    """At least two decimals, more only when the bank sent them (the line's currency may be unknown here)."""
    return f"{amount_text(line.amount, 2)} {line.currency_code}"


class StatementLineInline(ReadOnlyInline):
    model = BankStatementLine
    fields = readonly_fields = [
        "line_no", "booking_date", "direction", "amount_shown", "reference", "counterparty", "match_status", "invoice",
        "payment", "note",
    ]  # fmt: skip
    show_change_link = True

    @admin.display(description="amount")
    def amount_shown(self, obj: BankStatementLine) -> str:
        return line_amount(obj)


@admin.register(BankStatementImport)
class BankStatementImportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "file_name", "format", "tenant", "lines_read", "matched", "ambiguous", "unknown"]
    list_display += ["ignored", "duplicates"]
    list_filter = ["format", "tenant"]
    inlines = [StatementLineInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in BankStatementImport._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payments.add_bankstatementimport")

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        """Upload: the file is read whole or refused; matched lines are paid, the rest wait for review."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StatementUploadForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                statement = bank_statement_import(
                    tenant=form.cleaned_data["tenant"],
                    content=upload.read(),
                    format=form.cleaned_data["format"],
                    file_name=upload.name,
                    layout=form.layout(),
                    actor=request.user,
                )
            except (BillingError, MoneyError) as exc:
                refused(request, form, exc)
            else:
                messages.success(
                    request,
                    f"{statement.lines_read} lines read: {statement.matched} matched and paid, "
                    f"{statement.ambiguous + statement.unknown} to review, {statement.duplicates} already imported.",
                )
                return HttpResponseRedirect(reverse("admin:payments_bankstatementimport_change", args=[statement.pk]))
        return form_page(request, self, "Import a bank statement", form, submit="Import", multipart=True)


class ReviewFilter(admin.SimpleListFilter):
    title = "review queue"
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Waiting for review"), ("no", "Settled")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(match_status__in=REVIEW_STATUSES)
        if self.value() == "no":
            return queryset.exclude(match_status__in=REVIEW_STATUSES)
        return queryset


@admin.register(BankStatementLine)
class BankStatementLineAdmin(ReadOnlyAdmin):
    """The review queue: `?review=yes` lists the ambiguous and unknown lines."""

    list_display = ["booking_date", "amount_shown", "reference", "counterparty", "match_status", "assign_link"]
    list_display += ["invoice", "payment_link"]
    list_filter = [ReviewFilter, "match_status", "direction", "tenant"]
    search_fields = ["reference", "counterparty", "=bank_ref"]
    list_select_related = ["invoice", "payment"]
    actions = ["ignore_selected"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in BankStatementLine._meta.fields]

    def get_urls(self) -> list[Any]:
        assign = self.admin_site.admin_view(self.assign_view)
        return [path("<path:object_id>/assign/", assign, name="payments_bankstatementline_assign"), *super().get_urls()]

    @admin.display(description="amount", ordering="amount")
    def amount_shown(self, obj: BankStatementLine) -> str:
        return line_amount(obj)

    @admin.display(description="payment")
    def payment_link(self, obj: BankStatementLine) -> str:
        return admin_link(obj.payment) if obj.payment_id else "-"

    @admin.display(description="")
    def assign_link(self, obj: BankStatementLine) -> str:
        if obj.match_status not in REVIEW_STATUSES:
            return ""
        url = reverse("admin:payments_bankstatementline_assign", args=[obj.pk])
        return format_html('<a href="{}">Assign</a>', url)

    def assign_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        line = self.get_object(request, object_id)
        if line is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not request.user.has_perm("payments.change_bankstatementline"):
            raise PermissionDenied
        form = LineAssignForm(request.POST or None, user=request.user, candidates=line.candidates)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                statement_line_assign(
                    line=line, invoice=data["invoice"], account=data["account"], note=data["note"], actor=request.user
                )
            except (BillingError, MoneyError) as exc:
                refused(request, form, exc)
            else:
                messages.success(request, f"Line {line.bank_ref} assigned and paid.")
                changelist = reverse("admin:payments_bankstatementline_changelist")
                return HttpResponseRedirect(f"{changelist}?review=yes")
        intro = (
            f"{line.booking_date}: {line.amount} {line.currency_code} from {line.counterparty or 'unknown payer'}, "
            f'reference "{line.reference}". {line.get_match_status_display()}.'
        )
        return form_page(request, self, f"Assign bank line {line.bank_ref}", form, intro=intro, submit="Assign and pay")

    @admin.action(description="Ignore selected lines (not customer payments)")
    def ignore_selected(self, request: HttpRequest, queryset: QuerySet[BankStatementLine]) -> None:
        if not request.user.has_perm("payments.change_bankstatementline"):
            raise PermissionDenied
        done = 0
        for line in queryset.filter(match_status__in=REVIEW_STATUSES):
            try:
                statement_line_ignore(line=line, note=f"ignored by {request.user}", actor=request.user)
                done += 1
            except BillingError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        self.message_user(request, f"{done} line(s) ignored.", messages.SUCCESS)
