"""Query filters of the accounts API (django-filter).

Related objects are filtered by plain ids (NumberFilter), not by choice fields: a choice field would
answer 400 for an id that does not exist and 200 for another tenant's id, telling the two apart. Here
both simply match nothing, because the queryset is already scoped to the user's tenant subtree.
"""

from __future__ import annotations

import django_filters as filters

from accounts.models import BillingAccount, Customer, LedgerEntry, Tenant, Unit, Wallet
from accounts.models.ledger import TransactionKind


class UnitFilter(filters.FilterSet):
    class Meta:
        model = Unit
        fields = ["kind"]


class TenantFilter(filters.FilterSet):
    parent = filters.NumberFilter(field_name="parent_id")

    class Meta:
        model = Tenant
        fields = ["kind", "parent"]


class CustomerFilter(filters.FilterSet):
    tenant = filters.NumberFilter(field_name="tenant_id", help_text="Exactly this tenant (not its resellers).")
    segment = filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Customer
        fields = ["tenant", "kind", "segment", "country", "language"]


class BillingAccountFilter(filters.FilterSet):
    customer = filters.NumberFilter(field_name="customer_id")
    tenant = filters.NumberFilter(field_name="tenant_id")
    currency = filters.CharFilter(field_name="currency__code", lookup_expr="iexact", help_text="Unit code, e.g. EUR.")
    billing_cycle = filters.NumberFilter(field_name="billing_cycle_id")

    class Meta:
        model = BillingAccount
        fields = ["customer", "tenant", "currency", "billing_cycle", "payment_mode", "status", "skip_dunning"]


class WalletFilter(filters.FilterSet):
    account = filters.NumberFilter(field_name="billing_account_id", help_text="The billing account's id.")
    unit = filters.CharFilter(field_name="unit__code", lookup_expr="iexact", help_text="Unit code, e.g. EUR, MIN.")

    class Meta:
        model = Wallet
        fields = ["account", "unit", "code"]


class LedgerEntryFilter(filters.FilterSet):
    wallet = filters.NumberFilter(field_name="ledger_account_id", help_text="A wallet's id (same as ledger_account).")
    ledger_account = filters.NumberFilter(field_name="ledger_account_id")
    account = filters.NumberFilter(
        field_name="ledger_account__billing_account_id", help_text="Entries of every pocket of this billing account."
    )
    transaction = filters.NumberFilter(field_name="transaction_id")
    kind = filters.ChoiceFilter(field_name="transaction__kind", choices=TransactionKind.choices)
    unit = filters.CharFilter(field_name="unit__code", lookup_expr="iexact")
    created_after = filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Entries at or after this instant (ISO 8601)."
    )
    created_before = filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Entries strictly before this instant (ISO 8601)."
    )

    class Meta:
        model = LedgerEntry
        fields = [
            "wallet",
            "ledger_account",
            "account",
            "transaction",
            "kind",
            "unit",
            "created_after",
            "created_before",
        ]
