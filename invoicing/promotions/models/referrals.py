"""Refer-a-friend: a programme per tenant, a code per customer, and each referral with its outcome.

A referral is registered when a new customer signs up with a code (pending, or refused at once for a
self-referral), then evaluated: once the programme's condition is met (first invoice paid, or N days
active) the referrer - and the friend, if the programme says so - are credited, unless a fraud rule
refuses it (same payment method, the referrer's monthly cap). Its status changes once, under a lock.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models
from django.utils import timezone

from invoicing.models.fields import MONEY


class ReferralCondition(models.TextChoices):
    FIRST_INVOICE_PAID = "first_invoice_paid", "The friend's first invoice is paid"
    DAYS_ACTIVE = "days_active", "The friend has been active for N days"


class ReferralProgram(models.Model):
    """The tenant's refer-a-friend settings (its resellers' customers use the nearest programme up)."""

    tenant_lookup = "tenant"

    tenant = models.OneToOneField("accounts.Tenant", on_delete=models.PROTECT, related_name="referral_program")
    active = models.BooleanField(default=True)
    condition = models.CharField(
        max_length=24, choices=ReferralCondition.choices, default=ReferralCondition.FIRST_INVOICE_PAID
    )
    days_active = models.PositiveSmallIntegerField(default=30, help_text="For the days-active condition.")
    currency = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    referrer_reward = models.DecimalField(**MONEY, help_text="Credit for the referrer.")
    friend_reward = models.DecimalField(**MONEY, default=Decimal("0"), help_text="Credit for the friend; 0: none.")
    monthly_cap = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Rewarded referrals per referrer per calendar month; empty: no cap."
    )
    check_payment_method = models.BooleanField(
        default=True, help_text="Refuse when the friend pays with the referrer's payment method."
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(referrer_reward__gt=0), name="referral_reward_positive"),
            models.CheckConstraint(condition=models.Q(friend_reward__gte=0), name="referral_friend_reward_gte_0"),
        ]

    def __str__(self) -> str:
        return f"Refer-a-friend of {self.tenant}"


class ReferralCode(models.Model):
    """A customer's code to share. `payment_fingerprint` is the referrer's saved payment method's
    fingerprint (card or bank account), compared with the friend's."""

    tenant_lookup = "customer__tenant"

    customer = models.OneToOneField("accounts.Customer", on_delete=models.PROTECT, related_name="referral_code")
    code = models.CharField(max_length=16, unique=True)
    payment_fingerprint = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return self.code


class ReferralStatus(models.TextChoices):
    PENDING = "pending", "Pending (condition not met yet)"
    REWARDED = "rewarded", "Rewarded"
    REFUSED = "refused", "Refused"


class RefusalReason(models.TextChoices):
    SELF_REFERRAL = "self_referral", "Self-referral (same customer, e-mail or tax id)"
    SAME_PAYMENT_METHOD = "same_payment_method", "Same payment method as the referrer"
    MONTHLY_CAP = "monthly_cap", "The referrer's monthly cap is reached"
    NO_ACCOUNT = "no_account", "No account in the programme's currency to credit"


class Referral(models.Model):
    tenant_lookup = "referred__tenant"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    program = models.ForeignKey(ReferralProgram, on_delete=models.PROTECT, related_name="referrals")
    code = models.ForeignKey(ReferralCode, on_delete=models.PROTECT, related_name="referrals")
    referrer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="referrals_made")
    # A customer is referred once.
    referred = models.OneToOneField("accounts.Customer", on_delete=models.PROTECT, related_name="referred_by")
    status = models.CharField(max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.PENDING)
    refusal_reason = models.CharField(max_length=24, choices=RefusalReason.choices, blank=True)
    refusal_detail = models.CharField(max_length=255, blank=True)
    payment_fingerprint = models.CharField(
        max_length=120, blank=True, help_text="The friend's payment method fingerprint, when known."
    )
    registered_at = models.DateTimeField(default=timezone.now)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    rewarded_at = models.DateTimeField(null=True, blank=True, db_index=True)
    referrer_transaction = models.ForeignKey(
        "accounts.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    friend_transaction = models.ForeignKey(
        "accounts.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-registered_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="refused") | ~models.Q(refusal_reason=""), name="referral_refusal_has_reason"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="rewarded") | models.Q(rewarded_at__isnull=False),
                name="referral_rewarded_has_date",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="referral_pending_idx", condition=models.Q(status="pending"))]

    def __str__(self) -> str:
        return f"{self.referrer_id} -> {self.referred_id} ({self.status})"
