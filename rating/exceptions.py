"""Business errors of the rating domain (see accounts.exceptions for the base and its HTTP mapping)."""

from __future__ import annotations

from accounts.exceptions import BillingError


class TariffNotFound(BillingError):
    """No tariff prices this: the tariff does not exist, or the plan has no usage charge for the service."""

    code = "no_tariff"
    http_status = 404


class AmbiguousTariff(BillingError):
    """A price plan has several usage charges for one service, so which tariff rates it is unclear."""

    code = "ambiguous_tariff"
    http_status = 409


class RateDeckInvalid(BillingError):
    """The uploaded file is not a rate deck at all (not UTF-8, no header, a required column missing)."""

    code = "invalid_rate_deck"
