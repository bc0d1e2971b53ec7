"""Template helpers for the back office: the admin index dashboard and ledger amount columns."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.admin.display import amount_text
from accounts.models import LedgerEntry
from accounts.selectors import back_office_figures
from accounts.tenancy import sees_everything

register = template.Library()


@register.inclusion_tag("admin/accounts/includes/dashboard.html", takes_context=True)
def back_office_dashboard(context: dict[str, Any]) -> dict[str, Any]:
    """Headline figures for what the signed-in user may see (nothing for a user outside every tenant)."""
    request = context["request"]
    user = request.user
    if not (sees_everything(user) or (user.is_staff and user.tenant_id)):
        return {"figures": None}
    return {
        "figures": back_office_figures(user=user),
        "scope": user.tenant.name if user.tenant_id else "all tenants",
        "can_see_ledger": user.has_perm("accounts.view_ledgertransaction"),
    }


@register.filter
def entry_debit(entry: LedgerEntry) -> str:
    return amount_text(-entry.amount, entry.unit.decimals) if entry.amount < 0 else ""


@register.filter
def entry_credit(entry: LedgerEntry) -> str:
    return amount_text(entry.amount, entry.unit.decimals) if entry.amount > 0 else ""


@register.filter
def money(amount: Any, decimals: int = 2) -> str:
    return amount_text(amount, int(decimals))
