"""The daily run and the invoice-paid hook: each calls the idempotent earning and referral services,
so running them again, or after a missed day, grants only what is still due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import BillingAccount, LedgerAccountKind, LedgerTransaction, UnitKind
from accounts.models.customers import AccountStatus
from accounts.models.ledger import TransactionKind
from invoicing.models import Invoice, InvoiceEvent, InvoiceKind, InvoiceStatus

from .. import selectors
from ..models import LoyaltyGrant, LoyaltyRule, LoyaltyRuleKind, Referral, ReferralStatus
from .loyalty import loyalty_earn_paid_invoice, loyalty_earn_tenure, loyalty_earn_top_up, points_expire
from .referrals import referral_evaluate

MONEY_KINDS = (UnitKind.CURRENCY, UnitKind.CRYPTO)


@dataclass
class DailyResult:
    tenure_grants: int = 0
    top_up_grants: int = 0
    paid_on_time_grants: int = 0
    referrals_rewarded: int = 0
    referrals_refused: int = 0
    points_pockets_expired: int = 0


def invoice_paid_rewards(*, invoice: Invoice, paid_on: date) -> int:
    """What a fully paid invoice earns: points if paid on time, and the referral of its customer when
    the programme waits for the first paid invoice. Returns how many grants and rewards were made."""
    paid_on = selectors.invoice_paid_on(invoice) or paid_on
    made = len(loyalty_earn_paid_invoice(invoice=invoice, paid_on=paid_on))
    pending = Referral.objects.filter(referred_id=invoice.account.customer_id, status=ReferralStatus.PENDING).first()
    if pending is not None:
        made += referral_evaluate(referral=pending).status == ReferralStatus.REWARDED
    return made


def _rules(kind: str) -> list[LoyaltyRule]:
    return list(LoyaltyRule.objects.filter(kind=kind, active=True).select_related("tenant").order_by("pk"))


def _paid_on(invoice: Invoice) -> date:
    """The tenant's day the money was received, else the day it became paid (its last transition)."""
    received = selectors.invoice_paid_on(invoice)
    if received is not None:
        return received
    event = invoice.events.filter(to_status=InvoiceStatus.PAID).order_by("-id").first()
    moment = event.created_at if event else invoice.updated_at
    return moment.astimezone(ZoneInfo(invoice.tenant.timezone)).date()


def promotions_daily(*, as_of: datetime | None = None) -> DailyResult:
    """Tenure points, top-up points and paid-on-time points not granted yet (catching up anything a
    missed signal left), pending referrals evaluated (days-active and first-invoice-paid), and points
    whose pockets' validity ended expired."""
    now = as_of or timezone.now()
    result = DailyResult()
    accounts: set[int] = set()
    for rule in _rules(LoyaltyRuleKind.TENURE_MONTH):
        subtree = BillingAccount.objects.filter(tenant__path__startswith=rule.tenant.path, status=AccountStatus.ACTIVE)
        accounts |= set(subtree.values_list("pk", flat=True))
    for account in BillingAccount.objects.filter(pk__in=accounts).select_related("tenant").order_by("pk"):
        today = now.astimezone(ZoneInfo(account.tenant.timezone)).date()
        result.tenure_grants += len(loyalty_earn_tenure(account=account, as_of=today))
    for rule in _rules(LoyaltyRuleKind.TOP_UP):
        granted = LoyaltyGrant.objects.filter(rule=rule, source_transaction=OuterRef("pk"))
        top_ups = (
            LedgerTransaction.objects.filter(
                kind=TransactionKind.TOP_UP,
                tenant__path__startswith=rule.tenant.path,
                created_at__gte=rule.valid_from,
                entries__ledger_account__kind=LedgerAccountKind.POCKET,
                entries__amount__gt=0,
                entries__unit__kind__in=MONEY_KINDS,
            )
            .exclude(Exists(granted))
            .distinct()
            .order_by("pk")
        )
        for top_up in top_ups:
            result.top_up_grants += len(loyalty_earn_top_up(top_up=top_up))
    for rule in _rules(LoyaltyRuleKind.PAID_ON_TIME):
        granted = LoyaltyGrant.objects.filter(rule=rule, invoice=OuterRef("pk"))
        paid = InvoiceEvent.objects.filter(
            invoice=OuterRef("pk"), to_status=InvoiceStatus.PAID, created_at__gte=rule.valid_from
        )
        invoices = (
            Invoice.objects.filter(
                tenant__path__startswith=rule.tenant.path, kind=InvoiceKind.INVOICE, status=InvoiceStatus.PAID
            )
            .filter(Exists(paid))
            .exclude(Exists(granted))
            .select_related("account__tenant", "tenant", "currency")
            .order_by("pk")
        )
        for invoice in invoices:
            result.paid_on_time_grants += len(loyalty_earn_paid_invoice(invoice=invoice, paid_on=_paid_on(invoice)))
    for referral in Referral.objects.filter(status=ReferralStatus.PENDING).order_by("pk"):
        status = referral_evaluate(referral=referral, as_of=now).status
        result.referrals_rewarded += status == ReferralStatus.REWARDED
        result.referrals_refused += status == ReferralStatus.REFUSED
    result.points_pockets_expired = points_expire(as_of=now)
    return result
