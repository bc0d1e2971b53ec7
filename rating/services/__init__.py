"""Every write the rating domain does, one function per use case."""

from .rate_deck import rate_deck_import
from .subscriptions import (
    IdentifierSpec,
    service_identifiers_save,
    subscription_create,
    subscription_delete,
    subscription_update,
)

__all__ = [
    "IdentifierSpec",
    "rate_deck_import",
    "service_identifiers_save",
    "subscription_create",
    "subscription_delete",
    "subscription_update",
]
