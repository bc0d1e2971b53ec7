"""Query filters of the usage API; related objects by plain id (see accounts.api.filters)."""

from __future__ import annotations

import django_filters as filters

from rating.models import RatedUsage, RejectedRecord, UsageAlert, UsageFile


class UsageFileFilter(filters.FilterSet):
    run = filters.NumberFilter(field_name="run_id")

    class Meta:
        model = UsageFile
        fields = ["status", "source", "run"]


class RatedUsageFilter(filters.FilterSet):
    account = filters.NumberFilter(field_name="account_id")
    subscription = filters.NumberFilter(field_name="subscription_id")
    usage_file = filters.NumberFilter(field_name="usage_file_id")
    start_after = filters.IsoDateTimeFilter(
        field_name="start", lookup_expr="gte", help_text="Period start (inclusive)."
    )
    start_before = filters.IsoDateTimeFilter(field_name="start", lookup_expr="lt", help_text="Period end (exclusive).")
    unbilled = filters.BooleanFilter(field_name="invoice_id", lookup_expr="isnull")
    flagged = filters.CharFilter()

    class Meta:
        model = RatedUsage
        fields = [
            "account",
            "subscription",
            "service",
            "usage_file",
            "start_after",
            "start_before",
            "unbilled",
            "flagged",
        ]


class RejectedRecordFilter(filters.FilterSet):
    usage_file = filters.NumberFilter(field_name="usage_file_id")

    class Meta:
        model = RejectedRecord
        fields = ["usage_file", "reason", "status"]


class UsageAlertFilter(filters.FilterSet):
    open = filters.BooleanFilter(field_name="acknowledged_at", lookup_expr="isnull")

    class Meta:
        model = UsageAlert
        fields = ["kind", "open"]
