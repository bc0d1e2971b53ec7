"""Models of the rating app: the catalog and subscriptions (rating runs and usage arrive with their issues)."""

from .catalog import Product
from .subscriptions import ServiceIdentifier, ServiceIdentifierKind, Subscription, SubscriptionStatus

__all__ = ["Product", "ServiceIdentifier", "ServiceIdentifierKind", "Subscription", "SubscriptionStatus"]
