"""What an import needs from the database, loaded in bulk and kept for the import's duration.

- Subscribers: service identifiers of the tenant's subtree, loaded per chunk for the values not seen yet
  (one query), as value -> [(valid_from, valid_to, subscription, account, price plan)]; the subscription
  of a record is the one whose identifier window holds the record's start.
- Accounts: payment mode, status, currency and floor of the money pocket, the main pocket's id, and the
  item pockets that hold allowances (`PocketState`, balances read without a lock: the writer locks them
  and checks that they did not move before it posts).
- Tariffs: per (price plan, service) the tariff and its compiled rate deck, built once per import.
Never a query per record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from accounts.models import BillingAccount, LedgerAccount, LedgerAccountKind, Tenant, Unit
from accounts.models.customers import AccountStatus, PaymentMode
from accounts.services.ledger import ledger_system_account
from rating.engine import NO_TARIFF, RateDeck, RatingError
from rating.exceptions import AmbiguousTariff, TariffNotFound
from rating.models import PricePlan, ServiceIdentifier
from rating.tariffs import plan_tariff_for, tariff_deck_for

from .formats import normalise_subscriber
from .pricing import PocketState
from .records import ALLOWANCE_UNITS, UsageRow

MAIN_POCKET = "main"


@dataclass(slots=True)
class AccountInfo:
    id: int
    tenant_id: int
    payment_mode: str
    status: str
    currency_id: int
    floor: Decimal
    main_pocket_id: int | None
    pockets: list[PocketState] = field(default_factory=list)

    @property
    def barred(self) -> bool:
        return self.status != AccountStatus.ACTIVE

    @property
    def debits_money(self) -> bool:
        """Prepaid and hybrid accounts pay usage from their money pocket; postpaid accrues it for the bill."""
        return self.payment_mode != PaymentMode.POSTPAID


@dataclass(frozen=True, slots=True)
class TariffInfo:
    id: int
    currency_id: int
    deck: RateDeck


Window = tuple[datetime, datetime | None, int, int, int | None]  # from, to, subscription, account, plan


class UsageContext:
    """Caches of one import (see the module docstring)."""

    def __init__(self, tenant: Tenant, *, subscriber_kind: str = "msisdn") -> None:
        self.tenant = tenant
        self.subscriber_kind = subscriber_kind
        self.tenant_ids = list(Tenant.objects.filter(path__startswith=tenant.path).values_list("pk", flat=True))
        self._windows: dict[str, list[Window]] = {}
        self.accounts: dict[int, AccountInfo] = {}
        self._tariffs: dict[tuple[int, str], TariffInfo | str] = {}  # str: why there is none
        self._decks: dict[int, RateDeck] = {}
        self._revenue: dict[tuple[int, int], int] = {}

    # ------------------------------------------------------------------ loading

    def prepare(self, rows: Iterable[UsageRow]) -> None:
        """Load the subscribers and accounts of `rows` that are not cached yet (a few queries per chunk)."""
        unseen = {row.subscriber for row in rows if row.subscriber not in self._windows}
        if unseen:
            self._load_subscribers(unseen)
        wanted = {w[3] for value in {row.subscriber for row in rows} for w in self._windows.get(value, ())}
        missing = wanted - self.accounts.keys()
        if missing:
            self._load_accounts(missing)

    def prepare_account(self, account_id: int) -> None:
        if account_id not in self.accounts:
            self._load_accounts({account_id})

    def _load_subscribers(self, values: set[str]) -> None:
        for value in values:
            self._windows[value] = []
        variants = values | {f"+{value}" for value in values} if self.subscriber_kind == "msisdn" else values
        found = ServiceIdentifier.objects.filter(
            kind=self.subscriber_kind,
            value__in=variants,
            subscription__account__tenant_id__in=self.tenant_ids,
        ).values_list("value", "valid_from", "valid_to", "subscription_id", "subscription__account_id",
                      "subscription__price_plan_id")  # fmt: skip
        for value, valid_from, valid_to, subscription_id, account_id, plan_id in found:
            key = normalise_subscriber(value, self.subscriber_kind)
            self._windows.setdefault(key, []).append((valid_from, valid_to, subscription_id, account_id, plan_id))

    def _load_accounts(self, ids: set[int]) -> None:
        mains = dict(
            LedgerAccount.objects.filter(
                billing_account_id__in=ids, kind=LedgerAccountKind.POCKET, code=MAIN_POCKET
            ).values_list("billing_account_id", "pk")
        )
        rows = BillingAccount.objects.filter(pk__in=ids).values_list(
            "pk", "tenant_id", "payment_mode", "status", "currency_id", "credit_limit"
        )
        for pk, tenant_id, mode, status, currency_id, credit_limit in rows:
            floor = Decimal("0") if mode == PaymentMode.PREPAID else -credit_limit
            self.accounts[pk] = AccountInfo(pk, tenant_id, mode, status, currency_id, floor, mains.get(pk))
        for pocket in self._pockets(ids):
            self.accounts[pocket.account_id].pockets.append(pocket)

    @staticmethod
    def _pockets(account_ids: Iterable[int]) -> list[PocketState]:
        found = LedgerAccount.objects.filter(
            billing_account_id__in=list(account_ids),
            kind=LedgerAccountKind.POCKET,
            unit__code__in=list(ALLOWANCE_UNITS),
            balance__gt=0,
        ).values_list("pk", "billing_account_id", "unit_id", "unit__code", "unit__decimals", "balance", "priority",
                      "valid_from", "valid_to")  # fmt: skip
        pockets = []
        for pk, account_id, unit_id, code, decimals, balance, priority, valid_from, valid_to in found:
            service, factor = ALLOWANCE_UNITS[code]
            quantum = Decimal(1).scaleb(-decimals)
            balance = balance.quantize(quantum)  # the ledger keeps 10 places; the unit has `decimals`
            pockets.append(
                PocketState(
                    pk, account_id, unit_id, service, factor, quantum, balance, balance, priority, valid_from, valid_to
                )
            )
        return pockets

    def refresh_pockets(self, account_ids: Iterable[int]) -> None:
        """Read the item pockets of these accounts again (another writer moved them)."""
        ids = [pk for pk in set(account_ids) if pk in self.accounts]
        for pk in ids:
            self.accounts[pk].pockets = []
        for pocket in self._pockets(ids):
            self.accounts[pocket.account_id].pockets.append(pocket)

    def pockets_commit(self) -> None:
        for account in self.accounts.values():
            for pocket in account.pockets:
                pocket.committed = pocket.balance

    def pockets_rollback(self) -> None:
        # A system account created inside the rolled-back chunk is gone with it.
        self._revenue.clear()
        for account in self.accounts.values():
            for pocket in account.pockets:
                pocket.balance = pocket.committed

    def revenue_account_id(self, tenant_id: int, unit_id: int) -> int:
        """The tenant's usage revenue account in `unit` (money, or the item unit an allowance is in)."""
        key = (tenant_id, unit_id)
        if key not in self._revenue:
            account = ledger_system_account(
                tenant=Tenant.objects.get(pk=tenant_id),
                kind=LedgerAccountKind.REVENUE_USAGE,
                unit=Unit.objects.get(pk=unit_id),
            )
            self._revenue[key] = account.pk
        return self._revenue[key]

    # ------------------------------------------------------------------ lookups

    def subscription_at(self, subscriber: str, at: datetime) -> Window | None:
        for window in self._windows.get(subscriber, ()):
            if window[0] <= at and (window[1] is None or at < window[1]):
                return window
        return None

    def tariff_for(self, plan_id: int | None, service: str) -> TariffInfo:
        """The tariff pricing `service` in the plan, with its compiled deck (catalog's loader, cached per
        process by revision; here once per import). Raises RatingError(no_tariff) with the reason."""
        if plan_id is None:
            raise RatingError(NO_TARIFF, "the subscription has no price plan")
        cache_key = (plan_id, service)
        if cache_key not in self._tariffs:
            try:
                tariff = plan_tariff_for(price_plan=PricePlan.objects.get(pk=plan_id), service=service)
                deck = self._decks.get(tariff.pk)
                if deck is None:
                    deck = self._decks[tariff.pk] = tariff_deck_for(tariff_id=tariff.pk)
                self._tariffs[cache_key] = TariffInfo(tariff.pk, tariff.currency_id, deck)
            except (TariffNotFound, AmbiguousTariff) as exc:
                self._tariffs[cache_key] = exc.message
            except RatingError as exc:
                self._tariffs[cache_key] = f"the tariff cannot be used: {exc.message}"
        found = self._tariffs[cache_key]
        if isinstance(found, str):
            raise RatingError(NO_TARIFF, found)
        return found
