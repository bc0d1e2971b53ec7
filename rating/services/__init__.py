"""Every write the rating domain does, one function per use case."""

from .catalog import catalog_delete, catalog_save
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
    "catalog_delete",
    "catalog_save",
    "rate_deck_import",
    "service_identifiers_save",
    "subscription_create",
    "subscription_delete",
    "subscription_update",
]
