"""Back office for the rating domain, one module per concern (catalog.py joins when the catalog grows).

Every tenant-owned ModelAdmin derives from `accounts.admin.mixins.TenantScopedAdmin`.
"""

from . import subscriptions, usage

__all__ = ["subscriptions", "usage"]
