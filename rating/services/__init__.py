"""Every write the rating domain does, one function per use case."""

from .subscriptions import (
    IdentifierSpec,
    service_identifiers_save,
    subscription_create,
    subscription_delete,
    subscription_update,
)

__all__ = [
    "IdentifierSpec",
    "service_identifiers_save",
    "subscription_create",
    "subscription_delete",
    "subscription_update",
]
