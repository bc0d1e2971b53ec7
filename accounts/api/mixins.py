"""The API side of the one tenant-scoping mechanism, and idempotent POSTs.

- `TenantScopedViewSetMixin`: querysets narrowed to the user's tenant subtree (other tenants' objects
  answer 404), and every related-field choice in serializers scoped the same way (`ScopedRelatedField`).
- `OptionalIdempotencyMixin`: a create that honours an Idempotency-Key when one is sent.
- `idempotent`: runs a POST handler once per `Idempotency-Key`; a replay with the same body returns
  the first answer (header `Idempotent-Replayed: true`) and changes nothing; the same key with another
  body is refused with 422. The handler's writes and the stored answer commit together.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import IdempotencyRecord
from accounts.tenancy import scope_queryset

IDEMPOTENCY_HEADER = "Idempotency-Key"


class TenantScopedViewSetMixin:
    def get_queryset(self) -> Any:
        return scope_queryset(super().get_queryset(), self.request.user)  # type: ignore[misc]


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary-key related field whose choices are limited to the requesting user's tenant subtree.

    An id outside the subtree is refused exactly like an id that does not exist (400 on the field).
    `include_ancestors=True` also accepts rows of the tenants above (a reseller sells its operator's products).
    """

    def __init__(self, *, include_ancestors: bool = False, **kwargs: Any) -> None:
        self.include_ancestors = include_ancestors
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        request = self.context.get("request")
        return scope_queryset(queryset, getattr(request, "user", None), include_ancestors=self.include_ancestors)


def ledger_idempotency_key(request: Request) -> str:
    """The ledger-level key for a POST's Idempotency-Key: a second, database-enforced line of defence
    (unique per pocket) under the stored API answer. Hashed so it fits the 120-character column."""
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    return f"api:{request.user.pk}:{hashlib.sha256(key.encode()).hexdigest()[:48]}"


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str) if request.data else ""
    raw = f"{request.method} {request.path} {body}"
    return hashlib.sha256(raw.encode()).hexdigest()


def idempotent(request: Request, handler: Callable[[], Response]) -> Response:
    """Run `handler` at most once per (user, Idempotency-Key); see the module docstring."""
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key:
        return Response(
            {"code": "idempotency_key_required", "detail": f"Send an {IDEMPOTENCY_HEADER} header with this POST."},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if len(key) > 120:
        return Response(
            {"code": "idempotency_key_too_long", "detail": "The Idempotency-Key may have at most 120 characters."},
            status=status.HTTP_400_BAD_REQUEST,
        )
    fingerprint = _fingerprint(request)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                record, created = IdempotencyRecord.objects.select_for_update().get_or_create(
                    user=request.user, key=key, defaults={"fingerprint": fingerprint}
                )
                if record.fingerprint != fingerprint:
                    return Response(
                        {
                            "code": "idempotency_conflict",
                            "detail": "This Idempotency-Key was used with a different request body.",
                        },
                        status=status.HTTP_422_UNPROCESSABLE_ENTITY,
                    )
                if not created and record.status_code is not None:
                    replay = Response(record.response, status=record.status_code)
                    replay["Idempotent-Replayed"] = "true"
                    return replay
                response = handler()
                if response.status_code >= 400:
                    # Failed requests are not remembered: roll back the record and let the client retry.
                    transaction.set_rollback(True)
                    return response
                record.status_code = response.status_code
                record.response = json.loads(json.dumps(response.data, default=str))
                record.save(update_fields=["status_code", "response"])
                return response
        except IntegrityError:
            # A concurrent first request inserted the key; the second attempt reads its answer.
            continue
    return Response({"code": "idempotency_busy", "detail": "Retry shortly."}, status=status.HTTP_409_CONFLICT)


class OptionalIdempotencyMixin:
    """For viewsets whose create is not a money movement: idempotent when the client sends a key."""

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        parent_create = super().create  # type: ignore[misc]
        if request.headers.get(IDEMPOTENCY_HEADER, "").strip():
            return idempotent(request, lambda: parent_create(request, *args, **kwargs))
        return parent_create(request, *args, **kwargs)  # type: ignore[no-any-return]
