"""Query filters of the subscriptions API; related objects by plain id (see accounts.api.filters)."""

from __future__ import annotations

import django_filters as filters

from rating.models import Subscription


class SubscriptionFilter(filters.FilterSet):
    account = filters.NumberFilter(field_name="account_id")
    customer = filters.NumberFilter(field_name="account__customer_id")
    tenant = filters.NumberFilter(field_name="account__tenant_id")
    product = filters.NumberFilter(field_name="product_id")
    identifier = filters.CharFilter(
        field_name="identifiers__value", distinct=True, help_text="An identifier's value, e.g. an MSISDN."
    )

    class Meta:
        model = Subscription
        fields = ["account", "customer", "tenant", "product", "status", "identifier"]
