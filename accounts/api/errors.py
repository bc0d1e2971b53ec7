"""DRF exception handler: business errors become a 4xx with a code and a message a person can act on."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.exceptions import BillingError
from accounts.money import MoneyError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, BillingError):
        return Response({"code": exc.code, "detail": exc.message}, status=exc.http_status)
    if isinstance(exc, MoneyError):
        return Response({"code": "invalid_amount", "detail": str(exc)}, status=400)
    return drf_exception_handler(exc, context)
