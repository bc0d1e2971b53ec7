"""The ledger, read-only: transactions with their entries, entries, and the operator's own accounts.

Entries are append-only (a database trigger refuses UPDATE and DELETE), so no admin here may add,
change or delete a row; the one correction is the "reverse" action, which posts a mirror transaction
through `ledger_transaction_reverse` with a reason. The trial balance page hangs off this admin's URLs.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path

from accounts.exceptions import BillingError
from accounts.models import LedgerAccount, LedgerAccountKind, LedgerEntry, LedgerTransaction
from accounts.services import ledger_transaction_reverse

from .display import admin_link, amount_text, titled_filter
from .mixins import ReadOnlyAdminMixin, TenantScopedAdmin, TenantScopedMixin
from .trial_balance import trial_balance_view


class EntryColumns:
    """Debit and credit columns (the ledger's sign convention made readable) shared by the entry views."""

    @admin.display(description="billing account")
    def account_number(self, obj: LedgerEntry) -> str:
        return admin_link(obj.ledger_account.billing_account)

    @admin.display(description="debit")
    def debit(self, obj: LedgerEntry) -> str:
        return amount_text(-obj.amount, obj.unit.decimals) if obj.amount < 0 else ""

    @admin.display(description="credit")
    def credit(self, obj: LedgerEntry) -> str:
        return amount_text(obj.amount, obj.unit.decimals) if obj.amount > 0 else ""


class LedgerEntryInline(EntryColumns, TenantScopedMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = LedgerEntry
    fields = ("ledger_account", "account_number", "unit", "debit", "credit", "balance_after", "idempotency_key")
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[LedgerEntry]:
        return super().get_queryset(request).select_related("ledger_account__billing_account", "unit").order_by("pk")


class ReversalForm(forms.Form):
    reason = forms.CharField(max_length=200, help_text="Kept on the reversal and in the audit trail.")


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    change_list_template = "admin/accounts/ledgertransaction/change_list.html"
    list_display = ("id", "created_at", "kind", "description", "reference", "created_by", "reversal", "tenant")
    list_filter = ("kind", "created_at", "tenant")
    search_fields = ("=id", "reference", "description")
    date_hierarchy = "created_at"
    list_select_related = ("tenant", "created_by", "reverses", "reversed_by")
    inlines = (LedgerEntryInline,)
    actions = ("reverse_transactions",)
    show_full_result_count = False
    fields = ("tenant", "kind", "created_at", "description", "reference", "created_by", "reverses", "reversed_by")
    readonly_fields = fields

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view(lambda request: trial_balance_view(request, self))
        return [path("trial-balance/", view, name="accounts_trial_balance"), *super().get_urls()]

    def has_reverse_permission(self, request: HttpRequest) -> bool:
        # Reversing adds a transaction: it takes the model's "add" permission, which the forms never use.
        return request.user.has_perm("accounts.add_ledgertransaction")

    @admin.display(description="reversal")
    def reversal(self, obj: LedgerTransaction) -> str:
        if obj.reverses_id:
            return admin_link(obj.reverses, f"reverses #{obj.reverses_id}")
        reversed_by = getattr(obj, "reversed_by", None)
        return admin_link(reversed_by, f"reversed by #{reversed_by.pk}") if reversed_by else ""

    @admin.action(description="Reverse selected transactions…", permissions=["reverse"])
    def reverse_transactions(self, request: HttpRequest, queryset: QuerySet[LedgerTransaction]) -> Any:
        form = ReversalForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._reverse_all(request, queryset, form.cleaned_data["reason"])
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reverse ledger transactions",
            "opts": self.opts,
            "transactions": queryset.order_by("pk"),
            "form": form,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/accounts/ledgertransaction/reverse.html", context)

    def _reverse_all(self, request: HttpRequest, queryset: QuerySet[LedgerTransaction], reason: str) -> None:
        reversed_ids = []
        for txn in queryset.order_by("pk"):
            already = LedgerTransaction.objects.filter(reverses=txn).first()
            if already is not None:
                messages.warning(request, f"#{txn.pk} was already reversed by #{already.pk}; left alone.")
                continue
            try:
                reversal = ledger_transaction_reverse(txn=txn, reason=reason, actor=request.user)
            except BillingError as exc:
                messages.error(request, f"#{txn.pk} was not reversed: {exc.message}")
                continue
            reversed_ids.append(f"#{txn.pk} by #{reversal.pk}")
        if reversed_ids:
            messages.success(request, f"Reversed {', '.join(reversed_ids)}.")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(EntryColumns, ReadOnlyAdminMixin, TenantScopedAdmin):
    list_display = (
        "id",
        "created_at",
        "transaction_link",
        "kind",
        "ledger_account",
        "account_number",
        "unit",
        "debit",
        "credit",
        "balance_after_text",
    )
    list_filter = (
        ("transaction__kind", titled_filter("transaction kind")),
        "created_at",
        "unit",
        ("ledger_account__kind", titled_filter("ledger account kind")),
    )
    search_fields = ("=transaction__id", "transaction__reference", "=ledger_account__billing_account__number")
    date_hierarchy = "created_at"
    list_select_related = ("transaction", "unit", "ledger_account__billing_account")
    show_full_result_count = False

    @admin.display(description="transaction", ordering="transaction_id")
    def transaction_link(self, obj: LedgerEntry) -> str:
        return admin_link(obj.transaction, f"#{obj.transaction_id}")

    @admin.display(description="kind")
    def kind(self, obj: LedgerEntry) -> str:
        return obj.transaction.get_kind_display()

    @admin.display(description="balance after")
    def balance_after_text(self, obj: LedgerEntry) -> str:
        return amount_text(obj.balance_after, obj.unit.decimals)


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    """The operator's own accounts (receivables, revenue, tax, cash per gateway...); pockets are under Wallets."""

    list_display = ("name", "kind", "code", "unit", "balance_text", "tenant")
    list_filter = ("kind", "unit", "tenant")
    search_fields = ("name", "code")
    list_select_related = ("unit", "tenant")
    fields = ("tenant", "kind", "code", "name", "unit", "balance_text", "created_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[LedgerAccount]:
        return super().get_queryset(request).exclude(kind=LedgerAccountKind.POCKET)

    @admin.display(description="balance", ordering="balance")
    def balance_text(self, obj: LedgerAccount) -> str:
        return f"{amount_text(obj.balance, obj.unit.decimals)} {obj.unit.code}"
