"""Refused promotion, loyalty and referral operations: BillingErrors with a code a client can act on."""

from __future__ import annotations

from accounts.exceptions import BillingError


class PromotionRefused(BillingError):
    """The code cannot be redeemed by this account (unknown, not valid now, not eligible, limit reached)."""

    code = "promotion_refused"
    http_status = 409


class LoyaltyRefused(BillingError):
    code = "loyalty_refused"
    http_status = 409


class ReferralRefused(BillingError):
    """The referral cannot be registered (unknown code, no programme, customer already referred...)."""

    code = "referral_refused"
    http_status = 409
