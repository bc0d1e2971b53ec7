"""Forms of the payments back office: manual payment entry, allocation editing, refunds, statement
upload and the review-queue assignment. They validate input and find rows inside the user's scope;
the views call the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.db.models import Q

from accounts.models import BillingAccount, Tenant, Unit
from accounts.money import quantize_money
from accounts.tenancy import scope_queryset
from invoicing.models import Invoice
from invoicing.payments.models import OFFLINE_GATEWAY_CHOICES, PaymentPurpose, StatementFormat
from invoicing.payments.statements.matching import numbers_in
from invoicing.payments.statements.parsers import CsvLayout


def account_in_scope(user: Any, text: str) -> BillingAccount:
    """The account named by number or UUID among those `user` may see."""
    text = text.strip()
    accounts = scope_queryset(BillingAccount.objects.all(), user).select_related("currency", "tenant")
    match = Q(number=text)
    if len(text) == 36:
        match |= Q(uuid=text)
    found = list(accounts.filter(match)[:2])
    if len(found) != 1:
        raise forms.ValidationError(
            "No such account." if not found else "Several accounts have that number: give its UUID."
        )
    return found[0]


def invoice_of(account: BillingAccount, text: str) -> Invoice:
    """The account's invoice named by its number as printed (INV-000012)."""
    named = numbers_in(text)
    found = (
        Invoice.objects.filter(account=account, series__iexact=named[0][0], number=named[0][1]).first()
        if named
        else None
    )
    if found is None:
        raise forms.ValidationError(f"Account {account.number} has no invoice {text}.")
    return found


class ManualPaymentForm(forms.Form):
    account = forms.CharField(help_text="Account number (or UUID).")
    amount = forms.DecimalField(max_digits=26, decimal_places=8, min_value=Decimal("0.00000001"))
    gateway = forms.ChoiceField(choices=OFFLINE_GATEWAY_CHOICES, label="Received by")
    unit = forms.ModelChoiceField(
        queryset=Unit.objects.filter(kind__in=["currency", "crypto"]),
        required=False,
        to_field_name="code",
        help_text="Leave empty for the account's currency.",
    )
    invoice = forms.CharField(required=False, help_text="The invoice number the payer named, e.g. INV-000012.")
    purpose = forms.ChoiceField(choices=PaymentPurpose.choices, initial=PaymentPurpose.INVOICE)
    reference = forms.CharField(required=False, max_length=200, help_text="Bank reference, cheque number...")
    payer = forms.CharField(required=False, max_length=200)
    received_on = forms.DateField(required=False, widget=AdminDateWidget, help_text="Default: now.")
    exchange_rate = forms.DecimalField(
        required=False, max_digits=30, decimal_places=12, help_text="Only for another unit; default: the tenant's rate."
    )
    exchange_rate_source = forms.CharField(required=False, max_length=80)
    idempotency_key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        data["account"] = account_in_scope(self.user, data["account"])
        data["invoice"] = invoice_of(data["account"], data["invoice"]) if data.get("invoice") else None
        return data


class AllocationForm(forms.Form):
    """One amount per invoice of the account: the payment's allocation after the edit."""

    note = forms.CharField(required=False, max_length=255)

    def __init__(self, *args: Any, invoices: list[Invoice], current: dict[int, Decimal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invoices = invoices
        for invoice in invoices:
            places = invoice.currency.decimals
            open_amount, total = quantize_money(invoice.open_amount, places), quantize_money(invoice.total, places)
            self.fields[f"invoice_{invoice.pk}"] = forms.DecimalField(
                label=f"{invoice.display_number} (open {open_amount}, total {total})",
                max_digits=26,
                decimal_places=8,
                min_value=Decimal("0"),
                initial=current.get(invoice.pk, Decimal("0")),
            )

    def allocations(self) -> list[tuple[Invoice, Decimal]]:
        return [
            (invoice, self.cleaned_data[f"invoice_{invoice.pk}"])
            for invoice in self.invoices
            if self.cleaned_data[f"invoice_{invoice.pk}"]
        ]


class RefundForm(forms.Form):
    amount = forms.DecimalField(max_digits=26, decimal_places=8, min_value=Decimal("0.00000001"))
    reason = forms.CharField(max_length=255)


class ReturnForm(forms.Form):
    reason = forms.CharField(max_length=255, help_text="As the bank gave it, e.g. insufficient funds, account closed.")
    code = forms.CharField(max_length=60, initial="returned", help_text="The bank's return code, e.g. AC04, MS03.")


class StatementUploadForm(forms.Form):
    file = forms.FileField()
    format = forms.ChoiceField(choices=StatementFormat.choices)
    tenant = forms.ModelChoiceField(queryset=Tenant.objects.none(), help_text="Whose bank account the statement is.")
    date_column = forms.CharField(initial="date", help_text="CSV only: the column names and formats.")
    amount_column = forms.CharField(initial="amount")
    currency_column = forms.CharField(initial="currency")
    reference_column = forms.CharField(initial="reference")
    counterparty_column = forms.CharField(initial="counterparty")
    id_column = forms.CharField(initial="id", required=False)
    delimiter = forms.CharField(initial=",", max_length=1, strip=False)
    date_format = forms.CharField(initial="%Y-%m-%d")
    decimal_comma = forms.BooleanField(required=False, help_text="Amounts written 1.234,56")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tenant"].queryset = scope_queryset(Tenant.objects.all(), user)
        if user.tenant_id:
            self.fields["tenant"].initial = user.tenant_id

    def layout(self) -> CsvLayout:
        return CsvLayout.from_form(self.cleaned_data)


class LineAssignForm(forms.Form):
    account = forms.CharField(required=False, help_text="Account number or UUID (its oldest invoices are paid).")
    invoice = forms.CharField(required=False, help_text="Or an invoice number, e.g. INV-000012.")
    candidate = forms.ModelChoiceField(queryset=Invoice.objects.none(), required=False, label="Or a candidate")
    note = forms.CharField(required=False, max_length=255)

    def __init__(self, *args: Any, user: Any, candidates: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["candidate"].queryset = scope_queryset(Invoice.objects.filter(pk__in=candidates), user)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("candidate"):
            data["invoice"], data["account"] = data["candidate"], None
            return data
        if not data.get("account") and not data.get("invoice"):
            raise forms.ValidationError("Name the account, the invoice, or pick a candidate.")
        if data.get("invoice"):
            invoices = scope_queryset(Invoice.objects.all(), self.user).select_related("account")
            named = numbers_in(data["invoice"])
            found = invoices.filter(series__iexact=named[0][0], number=named[0][1]).first() if named else None
            if found is None:
                raise forms.ValidationError(f"No invoice {data['invoice']} for you.")
            data["invoice"], data["account"] = found, None
        else:
            data["invoice"], data["account"] = None, account_in_scope(self.user, data["account"])
        return data
