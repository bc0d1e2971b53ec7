"""Refer-a-friend: codes, registering a referred customer, and evaluating a referral once.

Fraud rules: a self-referral (same customer, e-mail or tax id) is refused when registered; a friend
paying with the referrer's payment method, or a referrer past the programme's monthly cap, is refused
when the condition is met. A referral's status leaves `pending` once, under a row lock, and the
rewards are keyed `referral:{id}:referrer|friend`, so evaluating it again grants nothing.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import BillingAccount, Customer, Unit
from accounts.models.customers import AccountStatus
from accounts.services import audit_record
from invoicing.models import Invoice
from invoicing.selectors import day_start
from invoicing.services.periods import shift_month

from .. import selectors
from ..exceptions import ReferralRefused
from ..models import Referral, ReferralCode, ReferralCondition, ReferralStatus, RefusalReason
from .grants import credit_grant

# No 0/O or 1/I: codes are read aloud and typed from phones.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def referral_code_for(*, customer: Customer, payment_fingerprint: str = "") -> ReferralCode:
    """The customer's referral code, created once (8 characters); a fingerprint given is saved with it."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                found, _ = ReferralCode.objects.get_or_create(
                    customer=customer, defaults={"code": "".join(secrets.choice(ALPHABET) for _ in range(8))}
                )
                if payment_fingerprint and found.payment_fingerprint != payment_fingerprint:
                    found.payment_fingerprint = payment_fingerprint
                    found.save(update_fields=["payment_fingerprint"])
                return found
        except IntegrityError:
            continue  # a code collision (or a concurrent first call): draw again
    raise ReferralRefused("Could not allocate a referral code; retry.")


def _normalised(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value).casefold()


def _self_referral(referrer: Customer, friend: Customer) -> str:
    """Why this is a self-referral, or "" when it is not."""
    if referrer.pk == friend.pk:
        return "the referrer referred itself"
    if referrer.email and _normalised(referrer.email) == _normalised(friend.email):
        return f"same e-mail as the referrer ({friend.email})"
    if referrer.tax_id and _normalised(referrer.tax_id) == _normalised(friend.tax_id):
        return f"same tax id as the referrer ({friend.tax_id})"
    return ""


def referral_register(*, code: str, customer: Customer, payment_fingerprint: str = "", actor: Any = None) -> Referral:
    """Record that `customer` (new: nothing invoiced yet) signed up with `code`. A self-referral is
    recorded as refused; an unknown code, no active programme or a customer already referred raise
    ReferralRefused. A customer is referred once (unique)."""
    ref_code = ReferralCode.objects.select_related("customer__tenant").filter(code=code.strip().upper()).first()
    program = selectors.referral_program_for(tenant=customer.tenant)
    if ref_code is None:
        raise ReferralRefused(f"No customer has the referral code {code.strip().upper()}.", code="referral_unknown")
    if program is None or not program.active or not ref_code.customer.tenant.path.startswith(program.tenant.path):
        raise ReferralRefused("No refer-a-friend programme covers this code.", code="referral_no_program")
    if Invoice.objects.filter(account__customer=customer, number__isnull=False).exists():
        raise ReferralRefused(
            f"{customer.name} has been invoiced already: not a new customer.", code="referral_not_new"
        )
    referrer = ref_code.customer
    why = _self_referral(referrer, customer)
    now = timezone.now()
    try:
        with transaction.atomic():
            referral = Referral.objects.create(
                program=program,
                code=ref_code,
                referrer=referrer,
                referred=customer,
                payment_fingerprint=payment_fingerprint,
                registered_at=now,
                status=ReferralStatus.REFUSED if why else ReferralStatus.PENDING,
                refusal_reason=RefusalReason.SELF_REFERRAL if why else "",
                refusal_detail=why,
                evaluated_at=now if why else None,
            )
            audit_record(
                action="referral.register",
                obj=referral,
                actor=actor,
                tenant=customer.tenant,
                after={"code": ref_code.code, "status": referral.status, "detail": why},
            )
            return referral
    except IntegrityError as exc:
        raise ReferralRefused(f"{customer.name} was referred already.", code="referral_exists") from exc


def _condition_met(referral: Referral, now: datetime) -> bool:
    program, friend = referral.program, referral.referred
    if program.condition == ReferralCondition.FIRST_INVOICE_PAID:
        return selectors.paid_invoices_of(friend).exists()
    active_since = now - timedelta(days=program.days_active)
    return BillingAccount.objects.filter(
        customer=friend, status=AccountStatus.ACTIVE, created_at__lte=active_since
    ).exists()


def _reward_account(customer: Customer, currency: Unit) -> BillingAccount | None:
    """The customer's oldest active account in the programme's currency: where its credit goes."""
    return (
        BillingAccount.objects.filter(customer=customer, currency=currency, status=AccountStatus.ACTIVE)
        .select_related("tenant", "currency")
        .order_by("created_at", "pk")
        .first()
    )


def _rewarded_this_month(referral: Referral, now: datetime) -> int:
    """The referrer's rewarded referrals in the calendar month of `now` in its tenant's zone."""
    tenant = referral.referrer.tenant
    today = now.astimezone(ZoneInfo(tenant.timezone)).date()
    year, month = shift_month(today.year, today.month, 1)
    start, end = day_start(tenant, today.replace(day=1)), day_start(tenant, date(year, month, 1))
    return Referral.objects.filter(
        referrer=referral.referrer, status=ReferralStatus.REWARDED, rewarded_at__gte=start, rewarded_at__lt=end
    ).count()


def _refuse(referral: Referral, reason: str, detail: str, now: datetime, actor: Any) -> Referral:
    referral.status, referral.refusal_reason, referral.refusal_detail = ReferralStatus.REFUSED, reason, detail[:255]
    referral.evaluated_at = now
    referral.save(update_fields=["status", "refusal_reason", "refusal_detail", "evaluated_at"])
    audit_record(
        action="referral.refuse", obj=referral, actor=actor, tenant=referral.referred.tenant, after={"reason": reason}
    )
    return referral


def referral_evaluate(*, referral: Referral, as_of: datetime | None = None, actor: Any = None) -> Referral:
    """Reward the referrer (and the friend) once the programme's condition is met, or refuse it when
    a fraud rule applies; a referral whose condition is not met yet stays pending.

    Locks the referral, then the referrer's code row (a referrer's rewards run one at a time, so the
    monthly cap holds). Idempotent: a referral no longer pending is returned as it is. `as_of` (default
    now) is the moment the condition is checked at and the reward dated.
    """
    now = as_of or timezone.now()
    with transaction.atomic():
        locked = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("program__currency", "referrer__tenant", "referred__tenant")
            .get(pk=referral.pk)
        )
        program = locked.program
        if locked.status != ReferralStatus.PENDING or not program.active or not _condition_met(locked, now):
            return locked
        referrer, friend = locked.referrer, locked.referred
        if program.check_payment_method:
            shared = selectors.payment_fingerprints(referrer) & selectors.payment_fingerprints(friend)
            if shared:
                detail = f"{friend.name} pays with the referrer's payment method ({sorted(shared)[0]})"
                return _refuse(locked, RefusalReason.SAME_PAYMENT_METHOD, detail, now, actor)
        ReferralCode.objects.select_for_update().get(pk=locked.code_id)
        if program.monthly_cap is not None and _rewarded_this_month(locked, now) >= program.monthly_cap:
            detail = f"{referrer.name} was rewarded for {program.monthly_cap} referral(s) this month already"
            return _refuse(locked, RefusalReason.MONTHLY_CAP, detail, now, actor)
        account = _reward_account(referrer, program.currency)
        if account is None:
            detail = f"{referrer.name} has no active account in {program.currency}"
            return _refuse(locked, RefusalReason.NO_ACCOUNT, detail, now, actor)
        reference = f"referral:{locked.pk}"
        locked.referrer_transaction = credit_grant(
            account=account,
            amount=program.referrer_reward,
            key=f"referral:{locked.pk}:referrer",
            reason=f"Refer-a-friend reward: {friend.name} ({friend.number}) - {program.get_condition_display()}",
            reference=reference,
            actor=actor,
        )
        friend_account = _reward_account(friend, program.currency) if program.friend_reward > 0 else None
        if friend_account is not None:
            locked.friend_transaction = credit_grant(
                account=friend_account,
                amount=program.friend_reward,
                key=f"referral:{locked.pk}:friend",
                reason=f"Refer-a-friend welcome reward: referred by {referrer.name} ({referrer.number})",
                reference=reference,
                actor=actor,
            )
        locked.status, locked.rewarded_at, locked.evaluated_at = ReferralStatus.REWARDED, now, now
        locked.save(
            update_fields=["status", "rewarded_at", "evaluated_at", "referrer_transaction", "friend_transaction"]
        )
        audit_record(
            action="referral.reward",
            obj=locked,
            actor=actor,
            tenant=friend.tenant,
            after={"referrer_reward": str(program.referrer_reward), "friend_reward": str(program.friend_reward)},
        )
        return locked
