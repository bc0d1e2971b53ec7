"""DRF exception handler: business errors become a 4xx with a code and a message a person can act on.

Django `ValidationError`s raised by services (model `full_clean`, service-level checks that name a
field) become a 400 shaped like DRF's own field errors: `{"field": ["message", ...]}`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.exceptions import BillingError
from accounts.money import MoneyError


def _field_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if not hasattr(exc, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
        for field, messages in exc.message_dict.items()
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, BillingError):
        return Response({"code": exc.code, "detail": exc.message}, status=exc.http_status)
    if isinstance(exc, MoneyError):
        return Response({"code": "invalid_amount", "detail": str(exc)}, status=400)
    if isinstance(exc, DjangoValidationError):
        return Response(_field_errors(exc), status=400)
    return drf_exception_handler(exc, context)
