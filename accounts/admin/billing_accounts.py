"""Billing accounts and billing cycles.

The account page shows the account's wallets (balance, unit, validity, priority) and its latest ledger
entries. Accounts are opened through `account_open` so each gets its main pocket; terms change through
`account_update` and status through the suspend / reactivate / skip-dunning services, all audited.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from accounts.exceptions import BillingError
from accounts.models import BillingAccount, BillingCycle, LedgerAccount, Unit, UnitKind, Wallet
from accounts.selectors import ledger_entries_for_account
from accounts.services import (
    account_open,
    account_reactivate,
    account_skip_dunning_set,
    account_suspend,
    account_update,
)
from accounts.services.customers import ACCOUNT_EDITABLE_FIELDS, floor_refusal
from accounts.services.ledger import MAIN_POCKET

from .display import RecentEntriesMixin, admin_link, amount_text, count_of
from .mixins import ReadOnlyAdminMixin, TenantScopedAdmin, TenantScopedMixin

RECENT_ENTRIES = 20


class WalletInline(TenantScopedMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = Wallet
    fk_name = "billing_account"
    fields = ("name", "unit", "balance_text", "valid_from", "valid_to", "priority", "code", "move_link")
    readonly_fields = fields
    show_change_link = True
    extra = 0
    verbose_name_plural = "wallets (pockets)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Wallet]:
        return super().get_queryset(request).select_related("unit").order_by("unit__code", "priority", "pk")

    @admin.display(description="balance")
    def balance_text(self, obj: Wallet) -> str:
        return f"{amount_text(obj.balance, obj.unit.decimals)} {obj.unit.code}"

    @admin.display(description="")
    def move_link(self, obj: Wallet) -> str:
        url = reverse("admin:accounts_wallet_move", args=[obj.pk])
        return format_html('<a href="{}">Credit / debit</a>', url)


MONEY_KINDS = (UnitKind.CURRENCY, UnitKind.CRYPTO)
# What `account_open` takes: the add form shows exactly these.
OPEN_FIELDS = (
    "customer",
    "number",
    "name",
    "currency",
    "payment_mode",
    "credit_limit",
    "billing_cycle",
    "payment_terms_days",
)


class CurrencyFilter(admin.RelatedFieldListFilter):
    """Accounts are kept in money units only; minutes or points would be noise in this filter."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[tuple[Any, str]]:
        return [(unit.pk, unit.code) for unit in Unit.objects.filter(kind__in=MONEY_KINDS).order_by("code")]


class BillingAccountForm(forms.ModelForm):
    """Checks what the database would otherwise refuse with an error page: the number unique per tenant,
    and terms whose floor sits above the main pocket's balance."""

    class Meta:
        model = BillingAccount
        fields = OPEN_FIELDS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        customer = cleaned.get("customer") or (self.instance.customer if self.instance.pk else None)
        number = cleaned.get("number") or self.instance.number
        if customer is not None and number:
            taken = BillingAccount.objects.filter(tenant_id=customer.tenant_id, number=number)
            if taken.exclude(pk=self.instance.pk).exists():
                self.add_error("number" if "number" in self.fields else None, "This account number is taken.")
        if self.instance.pk and ("payment_mode" in cleaned or "credit_limit" in cleaned):
            main = Wallet.objects.filter(billing_account=self.instance, code=MAIN_POCKET).first()
            refusal = main and floor_refusal(
                account=self.instance,
                payment_mode=cleaned.get("payment_mode", self.instance.payment_mode),
                credit_limit=cleaned.get("credit_limit", self.instance.credit_limit),
                balance=main.balance,
            )
            if refusal:
                self.add_error(None, refusal)
        return cleaned


@admin.register(BillingAccount)
class BillingAccountAdmin(RecentEntriesMixin, TenantScopedAdmin):
    form = BillingAccountForm
    change_form_template = "admin/accounts/billingaccount/change_form.html"
    list_display = (
        "number",
        "customer_link",
        "payment_mode",
        "status",
        "main_balance",
        "credit_limit_text",
        "skip_dunning",
        "billing_cycle",
        "tenant",
    )
    list_filter = ("payment_mode", "status", "skip_dunning", "tenant", "billing_cycle", ("currency", CurrencyFilter))
    search_fields = ("=number", "name", "=customer__number", "customer__name", "customer__email")
    list_select_related = ("customer", "tenant", "currency", "billing_cycle")
    autocomplete_fields = ("customer",)
    inlines = (WalletInline,)
    actions = ("suspend", "reactivate", "mark_skip_dunning", "clear_skip_dunning")
    add_fields = OPEN_FIELDS
    change_fields = (
        ("customer", "tenant"),
        ("number", "name", "currency"),
        ("payment_mode", "credit_limit"),
        ("billing_cycle", "payment_terms_days"),
        ("status", "skip_dunning"),
        ("uuid", "created_at"),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[BillingAccount]:
        main = LedgerAccount.objects.filter(billing_account=OuterRef("pk"), kind="pocket", code=MAIN_POCKET)
        return super().get_queryset(request).annotate(main_balance_value=Subquery(main.values("balance")[:1]))

    def has_delete_permission(self, request: HttpRequest, obj: BillingAccount | None = None) -> bool:
        return False  # an account with ledger history is closed, never deleted

    def get_inlines(self, request: HttpRequest, obj: BillingAccount | None) -> Any:
        return self.inlines if obj is not None else ()  # account_open opens the pockets of a new account

    def get_fields(self, request: HttpRequest, obj: BillingAccount | None = None) -> Any:
        return self.change_fields if obj is not None else self.add_fields

    def get_readonly_fields(self, request: HttpRequest, obj: BillingAccount | None = None) -> Any:
        if obj is None:
            return ()
        # Status and dunning change through the audited actions; the rest never moves once opened.
        return ("customer", "tenant", "number", "currency", "status", "skip_dunning", "uuid", "created_at")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "currency":
            kwargs["queryset"] = Unit.objects.filter(kind__in=MONEY_KINDS)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def tenant_for_save(self, obj: BillingAccount) -> Any:
        return obj.customer.tenant if obj.customer_id else None

    def save_model(self, request: HttpRequest, obj: BillingAccount, form: Any, change: bool) -> None:
        self.check_save_scope(request, obj)
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name in ACCOUNT_EDITABLE_FIELDS}
            if changes:
                account_update(account=obj, changes=changes, actor=request.user)
            return
        opened = account_open(
            customer=obj.customer,
            number=obj.number,
            currency=obj.currency,
            payment_mode=obj.payment_mode,
            credit_limit=obj.credit_limit,
            billing_cycle=obj.billing_cycle,
            payment_terms_days=obj.payment_terms_days,
            name=obj.name,
            actor=request.user,
        )
        obj.pk, obj.uuid, obj.tenant, obj.created_at = opened.pk, opened.uuid, opened.tenant, opened.created_at

    def recent_entries_for(self, obj: BillingAccount) -> list[Any]:
        return list(ledger_entries_for_account(account_id=obj.pk, limit=RECENT_ENTRIES))

    @admin.display(description="customer", ordering="customer__name")
    def customer_link(self, obj: BillingAccount) -> str:
        return admin_link(obj.customer, f"{obj.customer.number} {obj.customer.name}")

    @admin.display(description="main balance", ordering="main_balance_value")
    def main_balance(self, obj: BillingAccount) -> str:
        value: Decimal | None = getattr(obj, "main_balance_value", None)
        return f"{amount_text(value, obj.currency.decimals)} {obj.currency.code}"

    @admin.display(description="credit limit", ordering="credit_limit")
    def credit_limit_text(self, obj: BillingAccount) -> str:
        return amount_text(obj.credit_limit, obj.currency.decimals)

    def _apply(
        self, request: HttpRequest, queryset: QuerySet[BillingAccount], service: Callable[..., bool], done: str
    ) -> None:
        changed = unchanged = 0
        for account in queryset.order_by("pk"):
            try:
                if service(account=account, actor=request.user):
                    changed += 1
                else:
                    unchanged += 1
            except BillingError as exc:
                messages.error(request, f"{account.number}: {exc.message}")
        if changed or unchanged:
            note = f" ({unchanged} already were)" if unchanged else ""
            self.message_user(request, f"{changed} account(s) {done}{note}.", messages.SUCCESS)

    @admin.action(description="Suspend selected accounts", permissions=["change"])
    def suspend(self, request: HttpRequest, queryset: QuerySet[BillingAccount]) -> None:
        self._apply(request, queryset, account_suspend, "suspended")

    @admin.action(description="Reactivate selected accounts", permissions=["change"])
    def reactivate(self, request: HttpRequest, queryset: QuerySet[BillingAccount]) -> None:
        self._apply(request, queryset, account_reactivate, "reactivated")

    @admin.action(description="Mark selected accounts: skip dunning", permissions=["change"])
    def mark_skip_dunning(self, request: HttpRequest, queryset: QuerySet[BillingAccount]) -> None:
        self._apply(request, queryset, lambda **kw: account_skip_dunning_set(skip=True, **kw), "excluded from dunning")

    @admin.action(description="Return selected accounts to dunning", permissions=["change"])
    def clear_skip_dunning(self, request: HttpRequest, queryset: QuerySet[BillingAccount]) -> None:
        self._apply(request, queryset, lambda **kw: account_skip_dunning_set(skip=False, **kw), "returned to dunning")


@admin.register(BillingCycle)
class BillingCycleAdmin(TenantScopedAdmin):
    list_display = ("code", "name", "period", "bill_day", "accounts_count", "tenant")
    list_filter = ("period", "tenant")
    search_fields = ("code", "name")
    list_select_related = ("tenant",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[BillingCycle]:
        return super().get_queryset(request).annotate(accounts_n=count_of(BillingAccount, "billing_cycle"))

    def get_readonly_fields(self, request: HttpRequest, obj: BillingCycle | None = None) -> Any:
        # Bill runs record the cycle by code; renaming the code would orphan their history.
        return ("tenant", "code") if obj is not None else ()

    @admin.display(description="accounts", ordering="accounts_n")
    def accounts_count(self, obj: BillingCycle) -> int:
        return obj.accounts_n  # type: ignore[attr-defined]
