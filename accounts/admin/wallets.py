"""Wallets (customer pockets): balances, validity, priority, and the credit / debit / adjust form.

Every movement goes through `wallet_credit` / `wallet_debit` (balanced ledger transaction, row lock,
floor check after the lock, audit event). A refused movement is shown as an error and changes nothing.
The form carries a one-time idempotency key, so a double-submitted form posts once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.exceptions import BillingError
from accounts.models import LedgerAccountKind, Wallet
from accounts.models.ledger import TransactionKind
from accounts.money import MoneyError, has_at_most_places
from accounts.selectors import ledger_entries_for
from accounts.services import wallet_credit, wallet_debit, wallet_open
from accounts.services.ledger import MAIN_POCKET

from .display import RecentEntriesMixin, admin_link, amount_text
from .mixins import TenantScopedAdmin

RECENT_ENTRIES = 20


@dataclass(frozen=True)
class Movement:
    name: str
    explanation: str
    service: Callable[..., Any]
    kind: str
    counter_kind: str
    counter_code: str = ""
    money_only: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} ({self.explanation})"


# What an operator may do by hand, and which of the tenant's own ledger accounts takes the other side.
MOVEMENTS: dict[str, Movement] = {
    "top_up": Movement(
        "Top-up", "payment received by hand", wallet_credit, TransactionKind.TOP_UP, LedgerAccountKind.CASH, "manual",
        money_only=True,
    ),
    "credit_adjustment": Movement(
        "Credit adjustment", "goodwill, correction", wallet_credit, TransactionKind.ADJUSTMENT,
        LedgerAccountKind.ADJUSTMENTS,
    ),
    "charge": Movement(
        "One-off charge", "billed now, from the balance", wallet_debit, TransactionKind.DEBIT,
        LedgerAccountKind.REVENUE_ONEOFF, money_only=True,
    ),
    "debit_adjustment": Movement(
        "Debit adjustment", "correction", wallet_debit, TransactionKind.ADJUSTMENT, LedgerAccountKind.ADJUSTMENTS
    ),
}  # fmt: skip


class WalletMovementForm(forms.Form):
    movement = forms.ChoiceField(label="Operation")
    amount = forms.DecimalField(max_digits=30, decimal_places=10, min_value=Decimal("0"))
    reason = forms.CharField(max_length=200, help_text="Shown on the ledger transaction and in the audit trail.")
    reference = forms.CharField(max_length=80, required=False, help_text="e.g. ticket:1234 or a bank reference.")
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)

    def __init__(self, *args: Any, wallet: Wallet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wallet = wallet
        self.fields["movement"].choices = [
            (code, m.label) for code, m in MOVEMENTS.items() if wallet.unit.is_money or not m.money_only
        ]
        self.fields["amount"].help_text = f"In {wallet.unit.code}, at most {wallet.unit.decimals} decimals."

    def clean_amount(self) -> Decimal:
        amount: Decimal = self.cleaned_data["amount"]
        if amount <= 0:
            raise forms.ValidationError("The amount must be positive; pick a debit operation to take value away.")
        if not has_at_most_places(amount, self.wallet.unit.decimals):
            raise forms.ValidationError(f"{self.wallet.unit.code} has {self.wallet.unit.decimals} decimals.")
        return amount

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why: the reason is kept on the ledger and in the audit trail.")
        return reason


@admin.register(Wallet)
class WalletAdmin(RecentEntriesMixin, TenantScopedAdmin):
    change_form_template = "admin/accounts/wallet/change_form.html"
    list_display = (
        "__str__",
        "account_link",
        "unit",
        "balance_text",
        "valid_from",
        "valid_to",
        "priority",
        "code",
        "move_link",
    )
    list_filter = ("unit", "tenant", "billing_account__payment_mode", ("valid_to", admin.EmptyFieldListFilter))
    search_fields = (
        "=billing_account__number",
        "=billing_account__customer__number",
        "billing_account__customer__name",
    )
    list_select_related = ("unit", "billing_account__customer")
    autocomplete_fields = ("billing_account",)
    fields = ("billing_account", "unit", "name", "valid_from", "valid_to", "priority", "code", "balance_text", "tenant")
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Wallet | None = None) -> Any:
        if obj is None:
            return ("code", "balance_text", "tenant")
        readonly = ["billing_account", "unit", "code", "balance_text", "tenant"]
        if obj.code == MAIN_POCKET:
            # The main money pocket carries the credit limit and never expires.
            readonly += ["valid_from", "valid_to"]
        return readonly

    def has_delete_permission(self, request: HttpRequest, obj: Wallet | None = None) -> bool:
        return False  # a pocket has ledger history; it runs empty or expires, it is not deleted

    def tenant_for_save(self, obj: Wallet) -> Any:
        return obj.billing_account.tenant if obj.billing_account_id else None

    def save_model(self, request: HttpRequest, obj: Wallet, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        self.check_save_scope(request, obj)
        opened = wallet_open(
            account=obj.billing_account,
            unit=obj.unit,
            name=obj.name,
            valid_from=obj.valid_from,
            valid_to=obj.valid_to,
            priority=obj.priority,
        )
        obj.pk, obj.tenant, obj.kind, obj.created_at = opened.pk, opened.tenant, opened.kind, opened.created_at

    def get_urls(self) -> list[Any]:
        move = self.admin_site.admin_view(self.move_view)
        return [path("<path:object_id>/move/", move, name="accounts_wallet_move"), *super().get_urls()]

    def recent_entries_for(self, obj: Wallet) -> list[Any]:
        return list(ledger_entries_for(ledger_account_id=obj.pk, limit=RECENT_ENTRIES))

    def move_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        wallet = self.get_object(request, object_id)
        if wallet is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, wallet):
            raise PermissionDenied
        if request.method == "POST":
            form = WalletMovementForm(request.POST, wallet=wallet)
            if form.is_valid():
                done = self._post_movement(request, wallet, form)
                if done:
                    return HttpResponseRedirect(reverse("admin:accounts_wallet_change", args=[wallet.pk]))
        else:
            form = WalletMovementForm(initial={"idempotency_key": f"admin:{uuid.uuid4()}"}, wallet=wallet)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Credit / debit {wallet}",
            "opts": self.opts,
            "wallet": wallet,
            "balance": f"{amount_text(wallet.balance, wallet.unit.decimals)} {wallet.unit.code}",
            "form": form,
        }
        return TemplateResponse(request, "admin/accounts/wallet/move.html", context)

    def _post_movement(self, request: HttpRequest, wallet: Wallet, form: WalletMovementForm) -> bool:
        data = form.cleaned_data
        movement = MOVEMENTS[data["movement"]]
        try:
            txn = movement.service(
                wallet=wallet,
                amount=data["amount"],
                kind=movement.kind,
                counter_kind=movement.counter_kind,
                counter_code=movement.counter_code,
                description=f"{movement.name}: {data['reason']}",
                reference=data["reference"],
                idempotency_key=data["idempotency_key"],
                actor=request.user,
            )
        except (BillingError, MoneyError) as exc:
            form.add_error(None, getattr(exc, "message", str(exc)))
            messages.error(request, f"Refused, nothing was changed: {getattr(exc, 'message', exc)}")
            return False
        if txn.replayed:
            messages.warning(request, f"This form was already submitted: transaction #{txn.pk} stands, nothing added.")
        else:
            posted = f"{movement.name} of {data['amount']} {wallet.unit.code} posted as ledger transaction #{txn.pk}."
            messages.success(request, posted)
        return True

    @admin.display(description="account", ordering="billing_account__number")
    def account_link(self, obj: Wallet) -> str:
        account = obj.billing_account
        return admin_link(account, f"{account.number} {account.customer.name}") if account else "-"

    @admin.display(description="balance", ordering="balance")
    def balance_text(self, obj: Wallet) -> str:
        if obj.pk is None:
            return "-"
        return f"{amount_text(obj.balance, obj.unit.decimals)} {obj.unit.code}"

    @admin.display(description="")
    def move_link(self, obj: Wallet) -> str:
        return format_html('<a href="{}">Credit / debit</a>', reverse("admin:accounts_wallet_move", args=[obj.pk]))
