"""Back office for the accounts domain. Every ModelAdmin here derives from TenantScopedAdmin."""
