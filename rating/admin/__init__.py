"""Back office for the rating domain, one module per concern: the catalog, tariffs (with rate-deck imports
and a quote form) and subscriptions.

Every tenant-owned ModelAdmin derives from `accounts.admin.mixins.TenantScopedAdmin`.
"""

from . import catalog, subscriptions, tariffs, usage

__all__ = ["catalog", "subscriptions", "tariffs", "usage"]
