"""The trial balance page: debits and credits per ledger-account kind, code and unit for a tenant (and,
optionally, its resellers) over a period, with totals per unit that prove debits equal credits.

Reachable at /admin/accounts/ledgertransaction/trial-balance/ (linked from the admin index and the
ledger transactions list); `?format=csv` downloads the same rows. Reads `accounts.selectors.trial_balance`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import groupby
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from accounts.models import LedgerAccountKind, Tenant, Unit
from accounts.selectors import TrialBalanceRow, trial_balance
from accounts.tenancy import scope_queryset


class TrialBalanceForm(forms.Form):
    tenant = forms.ModelChoiceField(queryset=Tenant.objects.none())
    include_resellers = forms.BooleanField(required=False, label="Include the resellers below it")
    date_from = forms.DateField(required=False, widget=AdminDateWidget, label="From (inclusive)")
    date_to = forms.DateField(required=False, widget=AdminDateWidget, label="To (inclusive)")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the user's own subtree can be chosen; any other id is "not one of the available choices".
        self.fields["tenant"].queryset = scope_queryset(Tenant.objects.all(), user)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            raise forms.ValidationError("The period ends before it starts.")
        return cleaned


@dataclass(frozen=True)
class UnitSection:
    unit: str
    decimals: int
    rows: list[dict[str, Any]]
    debit: Decimal
    credit: Decimal

    @property
    def balanced(self) -> bool:
        return self.debit == self.credit


def _day_start(day: date | None) -> datetime | None:
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


def _sections(rows: list[TrialBalanceRow]) -> list[UnitSection]:
    decimals = dict(Unit.objects.values_list("code", "decimals"))
    sections = []
    for unit, unit_rows in groupby(rows, key=lambda r: r.unit):
        shown = [
            {
                "kind": LedgerAccountKind(r.kind).label,
                "code": r.code,
                "debit": r.debit,
                "credit": r.credit,
                "net": r.net,
            }
            for r in unit_rows
        ]
        debit = sum((r["debit"] for r in shown), Decimal("0"))
        credit = sum((r["credit"] for r in shown), Decimal("0"))
        sections.append(UnitSection(unit, decimals.get(unit, 2), shown, debit, credit))
    return sections


def _default_tenant(user: Any) -> Tenant | None:
    return user.tenant if user.tenant_id else Tenant.objects.filter(parent__isnull=True).order_by("pk").first()


def trial_balance_view(request: HttpRequest, model_admin: Any) -> HttpResponse:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    data: Any = request.GET
    if "tenant" not in data:
        default = _default_tenant(request.user)
        data = {"tenant": default.pk if default else "", "include_resellers": "on"}
    form = TrialBalanceForm(data, user=request.user)
    sections: list[UnitSection] = []
    if form.is_valid():
        end_day = form.cleaned_data["date_to"]
        rows = trial_balance(
            tenant=form.cleaned_data["tenant"],
            start=_day_start(form.cleaned_data["date_from"]),
            # The selector's end is exclusive; "to" is the last day included.
            end=_day_start(end_day + timedelta(days=1)) if end_day else None,
            subtree=form.cleaned_data["include_resellers"],
        )
        sections = _sections(rows)
        if request.GET.get("format") == "csv":
            return _csv(form.cleaned_data["tenant"], sections)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Trial balance",
        "opts": model_admin.opts,
        "form": form,
        "sections": sections,
        "csv_query": urlencode({**{k: form.data.get(k) for k in form.fields if form.data.get(k)}, "format": "csv"}),
    }
    return TemplateResponse(request, "admin/accounts/trial_balance.html", context)


def _csv(tenant: Tenant, sections: list[UnitSection]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="trial-balance-{tenant.code}.csv"'
    writer = csv.writer(response)
    writer.writerow(["unit", "kind", "code", "debit", "credit"])
    for section in sections:
        for row in section.rows:
            writer.writerow([section.unit, row["kind"], row["code"], row["debit"], row["credit"]])
        writer.writerow([section.unit, "TOTAL", "", section.debit, section.credit])
    return response
