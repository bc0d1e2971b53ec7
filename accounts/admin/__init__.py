"""Back office for the accounts domain, one module per concern.

Every tenant-owned ModelAdmin derives from `mixins.TenantScopedAdmin` (inlines use `TenantScopedMixin`),
so lists, change pages, foreign-key choices and sidebar filters stay inside the user's tenant subtree.
Units are platform data (read-only for tenant staff). The admin index shows a small dashboard
(templates/admin/index.html, `accounts.templatetags.back_office`) and links the trial balance.
"""

from django.contrib import admin

from . import audit, billing_accounts, customers, ledger, tenants, units, users, wallets

admin.site.site_header = "Billing back office"
admin.site.site_title = "Billing back office"
admin.site.index_title = "Operations"

__all__ = ["audit", "billing_accounts", "customers", "ledger", "tenants", "units", "users", "wallets"]
