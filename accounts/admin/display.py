"""Small display helpers shared by the back-office pages (amounts, links to related rows)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html


def amount_text(amount: Decimal | None, decimals: int) -> str:
    """An amount with at least the unit's decimals, more only when the ledger holds sub-unit precision."""
    if amount is None:
        return "-"
    exponent = amount.normalize().as_tuple().exponent
    places = max(decimals, -exponent if isinstance(exponent, int) and exponent < 0 else 0)
    return f"{amount:,.{places}f}"


def admin_link(obj: models.Model | None, text: Any = None) -> str:
    """A link to the change page of `obj` (the target page scopes it again, so a link never leaks)."""
    if obj is None:
        return "-"
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj if text is None else text)


def count_of(model: type[models.Model], fk: str) -> Coalesce:
    """A correlated COUNT(*) of `model` rows pointing at the outer row: one subquery, no row explosion."""
    rows = model._default_manager.filter(**{fk: OuterRef("pk")}).order_by().values(fk).annotate(n=Count("pk"))
    return Coalesce(Subquery(rows.values("n")), 0)


def titled_filter(title: str, base: type[admin.FieldListFilter] = admin.ChoicesFieldListFilter) -> Any:
    """A sidebar filter with its own heading (two "kind" filters on one page need telling apart)."""

    class Titled(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.title = title

    return Titled


class RecentEntriesMixin:
    """Adds `recent_entries` (from the `recent_entries_for` hook) to a change page's template context."""

    def recent_entries_for(self, obj: Any) -> list[Any]:
        raise NotImplementedError

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
        if obj is not None:
            extra_context["recent_entries"] = self.recent_entries_for(obj)
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
