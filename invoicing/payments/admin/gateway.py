"""Back office for the gateway side: Stripe customers, saved cards, auto-pay policies and attempts."""

from __future__ import annotations

from django.contrib import admin

from accounts.admin.mixins import TenantScopedAdmin
from invoicing.admin import ReadOnlyAdmin
from invoicing.payments.models import AutoPayAttempt, AutoPayPolicy, SavedPaymentMethod, StripeCustomer


@admin.register(StripeCustomer)
class StripeCustomerAdmin(ReadOnlyAdmin):
    list_display = ["account", "stripe_id", "auto_pay", "created_at"]
    search_fields = ["=stripe_id", "account__number"]


@admin.register(SavedPaymentMethod)
class SavedPaymentMethodAdmin(ReadOnlyAdmin):
    list_display = ["account", "__str__", "exp_month", "exp_year", "is_default", "created_at"]
    search_fields = ["=stripe_id", "account__number"]


@admin.register(AutoPayPolicy)
class AutoPayPolicyAdmin(TenantScopedAdmin):
    list_display = ["tenant", "enabled", "charge_on", "retry_days"]


@admin.register(AutoPayAttempt)
class AutoPayAttemptAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "number", "scheduled_for", "status", "payment", "note"]
    list_filter = ["status", "scheduled_for"]
    search_fields = ["invoice__account__number"]
