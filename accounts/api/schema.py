"""OpenAPI pieces shared by the API views: the Idempotency-Key header and the error body."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from .mixins import IDEMPOTENCY_HEADER

IDEMPOTENCY_KEY_REQUIRED = OpenApiParameter(
    name=IDEMPOTENCY_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=True,
    description="A unique key per intended operation (e.g. a UUID), at most 120 characters. A replay with "
    "the same key and body returns the first answer with header `Idempotent-Replayed: true` and posts "
    "nothing; the same key with another body answers 422.",
)
IDEMPOTENCY_KEY_OPTIONAL = OpenApiParameter(
    name=IDEMPOTENCY_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Optional here: when sent, a retried create returns the first answer instead of creating twice.",
)


class ErrorSerializer(serializers.Serializer):
    """A refused business operation: a machine-readable code and a message a person can act on."""

    code = serializers.CharField()
    detail = serializers.CharField()


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


IDEMPOTENCY_ERRORS = {
    400: OpenApiResponse(description="Invalid body (field errors) or missing Idempotency-Key."),
    422: error("The Idempotency-Key was already used with another body."),
}
