"""Read queries of promotions, loyalty and referrals (services, admin and API use them)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import Max, QuerySet

from accounts.models import BillingAccount, Customer, Tenant
from invoicing.models import Invoice, InvoiceKind, InvoiceStatus
from invoicing.payments.models import PaymentAllocation, SavedPaymentMethod
from rating.models import Subscription

from .models import LoyaltyRule, Promotion, Referral, ReferralCode, ReferralProgram


def tenant_chain(tenant: Tenant) -> list[int]:
    """Ids from the operator down to `tenant` (what a customer of `tenant` may use)."""
    return [int(pk) for pk in tenant.path.strip("/").split("/") if pk]


def promotion_for_code(*, code: str, tenant: Tenant) -> Promotion | None:
    """The promotion with `code` of the nearest tenant from `tenant` up to the operator."""
    chain = tenant_chain(tenant)
    found = {p.tenant_id: p for p in Promotion.objects.filter(tenant_id__in=chain, code=code.strip().upper())}
    return next((found[pk] for pk in reversed(chain) if pk in found), None)


def loyalty_rules_for(*, tenant: Tenant, kind: str) -> QuerySet[LoyaltyRule]:
    """Active rules of `kind` that apply to the accounts of `tenant` (its own and its ancestors')."""
    return LoyaltyRule.objects.filter(tenant_id__in=tenant_chain(tenant), kind=kind, active=True).order_by("pk")


def referral_program_for(*, tenant: Tenant) -> ReferralProgram | None:
    chain = tenant_chain(tenant)
    found = {p.tenant_id: p for p in ReferralProgram.objects.filter(tenant_id__in=chain)}
    return next((found[pk] for pk in reversed(chain) if pk in found), None)


def subscribed_to(*, account: BillingAccount, product_id: int, on: date) -> bool:
    return (
        Subscription.objects.filter(account=account, product_id=product_id, start_date__lte=on)
        .exclude(end_date__lt=on)
        .exclude(status="pending")
        .exists()
    )


def paid_invoices_of(customer: Customer) -> QuerySet[Invoice]:
    return Invoice.objects.filter(account__customer=customer, kind=InvoiceKind.INVOICE, status=InvoiceStatus.PAID)


def invoice_paid_on(invoice: Invoice) -> date | None:
    """The day (tenant's zone) the last money applied to the invoice was received: a bank transfer
    received on time but recorded later still counts as paid on time. None without payments."""
    received = PaymentAllocation.objects.filter(
        invoice=invoice, amount__gt=0, payment__received_at__isnull=False
    ).aggregate(last=Max("payment__received_at"))["last"]
    return received.astimezone(ZoneInfo(invoice.tenant.timezone)).date() if received else None


def card_fingerprint(brand: str, last4: str, exp_month: int | None, exp_year: int | None) -> str:
    """The canonical fingerprint of a card, e.g. "card:visa:4242:12/2030" (give the same form at signup)."""
    return f"card:{brand.lower()}:{last4}:{exp_month or 0:02d}/{exp_year or 0}"


def payment_fingerprints(customer: Customer) -> set[str]:
    """Fingerprints of the payment methods a customer is known to use: the cards saved on its accounts,
    the one recorded with its referral code and the one given when it was referred."""
    found = set(ReferralCode.objects.filter(customer=customer).values_list("payment_fingerprint", flat=True))
    found |= set(Referral.objects.filter(referred=customer).values_list("payment_fingerprint", flat=True))
    cards = SavedPaymentMethod.objects.filter(account__customer=customer).exclude(last4="")
    found |= {card_fingerprint(c.brand, c.last4, c.exp_month, c.exp_year) for c in cards}
    return {fingerprint for fingerprint in found if fingerprint}
