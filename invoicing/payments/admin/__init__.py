"""Back office of payments (registered by Django's admin autodiscovery of this app)."""

from . import gateway, payments, statements

__all__ = ["gateway", "payments", "statements"]
