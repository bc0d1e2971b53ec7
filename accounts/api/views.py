"""Viewsets of the accounts API: units, tenants, customers, billing accounts, wallets and ledger entries.

Every tenant-owned viewset is scoped by `TenantScopedViewSetMixin` (another tenant's object answers 404
and never appears in a list) and asks the model permissions the back office asks. Views stay thin:
they validate with a serializer and call one service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import BillingAccount, Customer, LedgerEntry, LedgerTransaction, Tenant, Unit, Wallet
from accounts.models.ledger import LedgerAccountKind, TransactionKind
from accounts.services import (
    account_open,
    account_skip_dunning_set,
    account_status_set,
    account_update,
    customer_create,
    customer_delete,
    customer_update,
    wallet_credit,
    wallet_debit,
)

from . import filters
from .ledger_serializers import (
    LedgerEntrySerializer,
    WalletAdjustSerializer,
    WalletMovementSerializer,
    WalletSerializer,
    WalletTopUpSerializer,
)
from .mixins import OptionalIdempotencyMixin, TenantScopedViewSetMixin, idempotent, ledger_idempotency_key
from .permissions import STAFF_WITH_MODEL_PERMISSIONS, CanPostLedger, IsTenantStaff
from .schema import IDEMPOTENCY_ERRORS, IDEMPOTENCY_KEY_OPTIONAL, IDEMPOTENCY_KEY_REQUIRED, error
from .serializers import (
    BillingAccountSerializer,
    BillingAccountUpdateSerializer,
    CustomerSerializer,
    TenantSerializer,
    UnitSerializer,
)


class UnitViewSet(viewsets.ReadOnlyModelViewSet[Unit]):
    """Units are shared reference data (currencies, items, points), not owned by a tenant: not scoped."""

    queryset = Unit.objects.all()
    serializer_class = UnitSerializer
    permission_classes = [IsTenantStaff]
    filterset_class = filters.UnitFilter
    lookup_field = "code"
    search_fields = ["code", "name"]
    pagination_class = None


class TenantViewSet(TenantScopedViewSetMixin, viewsets.ReadOnlyModelViewSet[Tenant]):
    """Your tenant and the resellers below it."""

    queryset = Tenant.objects.select_related("default_currency")
    serializer_class = TenantSerializer
    permission_classes = STAFF_WITH_MODEL_PERMISSIONS
    filterset_class = filters.TenantFilter
    search_fields = ["code", "name"]
    ordering_fields = ["path", "name", "code"]


@extend_schema_view(
    create=extend_schema(parameters=[IDEMPOTENCY_KEY_OPTIONAL]),
    destroy=extend_schema(
        responses={204: None, 409: error("The customer has billing accounts (code customer_has_accounts).")}
    ),
)
class CustomerViewSet(OptionalIdempotencyMixin, TenantScopedViewSetMixin, viewsets.ModelViewSet[Customer]):
    """Customers of your tenant subtree. `search` matches number, name and e-mail."""

    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    permission_classes = STAFF_WITH_MODEL_PERMISSIONS
    filterset_class = filters.CustomerFilter
    search_fields = ["number", "name", "email"]
    ordering_fields = ["number", "name", "created_at"]

    def perform_create(self, serializer: serializers.BaseSerializer[Customer]) -> None:
        serializer.instance = customer_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: serializers.BaseSerializer[Customer]) -> None:
        assert serializer.instance is not None
        serializer.instance = customer_update(
            customer=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance: Customer) -> None:
        customer_delete(customer=instance, actor=self.request.user)


@extend_schema_view(
    create=extend_schema(parameters=[IDEMPOTENCY_KEY_OPTIONAL]),
    partial_update=extend_schema(
        request=BillingAccountUpdateSerializer,
        responses={200: BillingAccountSerializer, 409: error("The account's status does not allow the change.")},
    ),
)
class BillingAccountViewSet(
    OptionalIdempotencyMixin,
    TenantScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet[BillingAccount],
):
    """Billing accounts: opened with their main money pocket; terms and status change with PATCH; never deleted."""

    queryset = BillingAccount.objects.select_related("currency", "customer")
    serializer_class = BillingAccountSerializer
    permission_classes = STAFF_WITH_MODEL_PERMISSIONS
    filterset_class = filters.BillingAccountFilter
    search_fields = ["number", "name", "customer__name", "customer__number"]
    ordering_fields = ["number", "created_at"]

    def perform_create(self, serializer: serializers.BaseSerializer[BillingAccount]) -> None:
        try:
            serializer.instance = account_open(actor=self.request.user, **serializer.validated_data)
        except IntegrityError as exc:
            # Only a concurrent open with the same number gets past the serializer's check.
            raise serializers.ValidationError({"number": "Another account of this tenant has this number."}) from exc

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        account = self.get_object()
        changes = BillingAccountUpdateSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        terms = dict(changes.validated_data)
        new_status = terms.pop("status", None)
        reason = terms.pop("reason", "")
        skip_dunning = terms.pop("skip_dunning", None)
        # Terms, dunning flag and status are separate services; one PATCH commits all or none.
        with transaction.atomic():
            if terms:
                account = account_update(account=account, changes=terms, actor=request.user)
            if skip_dunning is not None:
                account_skip_dunning_set(account=account, skip=skip_dunning, actor=request.user)
            if new_status:
                account = account_status_set(account=account, status=new_status, actor=request.user, reason=reason)
        return Response(self.get_serializer(account).data)


class WalletViewSet(TenantScopedViewSetMixin, viewsets.ReadOnlyModelViewSet[Wallet]):
    """Customers' pockets with their balances; top up or adjust one with an Idempotency-Key."""

    queryset = Wallet.objects.select_related("unit", "billing_account")
    serializer_class = WalletSerializer
    permission_classes = STAFF_WITH_MODEL_PERMISSIONS
    filterset_class = filters.WalletFilter
    ordering_fields = ["id", "priority", "valid_to"]

    def _idempotent_movement(
        self,
        request: Request,
        serializer_class: type[serializers.Serializer],
        post: Callable[[Wallet, dict[str, Any]], LedgerTransaction],
    ) -> Response:
        """Validate the body against the wallet and post once per Idempotency-Key; answer the pocket after it."""
        wallet = self.get_object()

        def handler() -> Response:
            data = serializer_class(data=request.data, context={"wallet": wallet})
            data.is_valid(raise_exception=True)
            txn = post(wallet, data.validated_data)
            wallet.refresh_from_db()
            body = WalletMovementSerializer(
                {"transaction": txn, "wallet": wallet}, context=self.get_serializer_context()
            )
            return Response(body.data, status=status.HTTP_201_CREATED)

        return idempotent(request, handler)

    @extend_schema(
        summary="Top up a wallet",
        description="Credits money received through `channel` to the pocket. Requires an Idempotency-Key: "
        "a replay returns the first answer and posts nothing.",
        request=WalletTopUpSerializer,
        responses={
            201: WalletMovementSerializer,
            **IDEMPOTENCY_ERRORS,
            409: error("The pocket is not usable (expired or not yet valid)."),
        },
        parameters=[IDEMPOTENCY_KEY_REQUIRED],
    )
    @action(detail=True, methods=["post"], url_path="top-up", permission_classes=[IsTenantStaff, CanPostLedger])
    def top_up(self, request: Request, pk: str | None = None) -> Response:
        def credit(wallet: Wallet, values: dict[str, Any]) -> LedgerTransaction:
            return wallet_credit(
                wallet=wallet,
                amount=values["amount"],
                kind=TransactionKind.TOP_UP,
                counter_kind=LedgerAccountKind.CASH,
                counter_code=values["channel"],
                description=values["description"] or f"Top-up via {values['channel']}",
                reference=values["reference"],
                idempotency_key=ledger_idempotency_key(request),
                actor=request.user,
            )

        return self._idempotent_movement(request, WalletTopUpSerializer, credit)

    @extend_schema(
        summary="Adjust a wallet (credit or debit with a reason)",
        description="A manual correction against the tenant's adjustments account. A debit below the pocket's "
        "floor (zero for prepaid) is refused with 409 `insufficient_funds` and changes nothing.",
        request=WalletAdjustSerializer,
        responses={
            201: WalletMovementSerializer,
            **IDEMPOTENCY_ERRORS,
            409: OpenApiResponse(description="`insufficient_funds` or `pocket_not_usable`; nothing was posted."),
        },
        parameters=[IDEMPOTENCY_KEY_REQUIRED],
    )
    @action(detail=True, methods=["post"], permission_classes=[IsTenantStaff, CanPostLedger])
    def adjust(self, request: Request, pk: str | None = None) -> Response:
        def correct(wallet: Wallet, values: dict[str, Any]) -> LedgerTransaction:
            move = wallet_credit if values["direction"] == WalletAdjustSerializer.Direction.CREDIT else wallet_debit
            return move(
                wallet=wallet,
                amount=values["amount"],
                kind=TransactionKind.ADJUSTMENT,
                counter_kind=LedgerAccountKind.ADJUSTMENTS,
                description=f"Adjustment: {values['reason']}",
                reference=values["reference"],
                idempotency_key=ledger_idempotency_key(request),
                actor=request.user,
            )

        return self._idempotent_movement(request, WalletAdjustSerializer, correct)


class LedgerEntryViewSet(TenantScopedViewSetMixin, viewsets.ReadOnlyModelViewSet[LedgerEntry]):
    """Ledger entries of your tenant subtree (pockets and the tenant's own accounts), newest first."""

    queryset = LedgerEntry.objects.select_related("transaction", "unit").order_by("-id")
    serializer_class = LedgerEntrySerializer
    permission_classes = STAFF_WITH_MODEL_PERMISSIONS
    filterset_class = filters.LedgerEntryFilter
    ordering_fields = ["id", "created_at"]
