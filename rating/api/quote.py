"""`POST /api/v1/rating/quote`: the cost of a call, message batch or data session, charging nobody.

Body: ``price_plan`` (a plan code) or ``account`` (an account id), ``service`` (voice / sms / data),
``destination`` (a number; may be empty for data), ``start`` (an ISO 8601 instant with its UTC offset),
``duration`` in seconds for voice or ``volume`` for SMS (messages) and data (bytes), and optionally
``usage_so_far`` (the cycle's usage before this record, for tiered tariffs). See `rating.quotes`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import IsTenantStaff
from rating.engine import RatingError, normalize_number
from rating.models.catalog import SERVICE_CHOICES
from rating.quotes import quote_plan_by_code, quote_plan_for_account, usage_quote

SERVICES = [
    ("voice", "Voice (duration in seconds)"),
    ("sms", "SMS (volume in messages)"),
    ("data", "Data (volume in bytes)"),
]
USAGE_FIELD = {"voice": "duration", "sms": "volume", "data": "volume"}


class QuoteSerializer(serializers.Serializer):
    price_plan = serializers.CharField(required=False, help_text="A price plan code. Give this or `account`.")
    account = serializers.CharField(
        required=False, help_text="A billing account id: its subscription active at `start` supplies the plan."
    )
    service = serializers.ChoiceField(
        choices=SERVICE_CHOICES,
        help_text="voice (send duration, seconds), sms (volume, messages), data (volume, bytes).",
    )
    destination = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="The number called or messaged; optional for data."
    )
    start = serializers.DateTimeField(help_text="ISO 8601 instant with its UTC offset, e.g. 2024-05-07T10:00:00Z.")
    duration = serializers.IntegerField(required=False, min_value=0, help_text="Seconds (voice).")
    volume = serializers.IntegerField(required=False, min_value=0, help_text="Messages (sms) or bytes (data).")
    usage_so_far = serializers.IntegerField(
        required=False, min_value=0, default=0, help_text="Usage of the service earlier in the cycle (tiered tariffs)."
    )

    def validate_account(self, value: str) -> str:
        if not value.strip().isdigit():
            raise serializers.ValidationError("An account id is a number.")
        return value.strip()

    def validate_start(self, value: Any) -> Any:
        raw = str(self.initial_data.get("start", ""))
        # "An instant": without an offset the same text would mean different moments in different zones.
        if not (raw.endswith(("Z", "z")) or "+" in raw[10:] or "-" in raw[10:]):
            raise serializers.ValidationError("Give the instant with its UTC offset, e.g. 2024-05-07T10:00:00+02:00.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "price_plan" in attrs and "account" in attrs:
            raise serializers.ValidationError({"account": "Give either price_plan or account, not both."})
        if "price_plan" not in attrs and "account" not in attrs:
            raise serializers.ValidationError({"price_plan": "Give a price plan code (or an account id)."})
        service = attrs["service"]
        wanted = USAGE_FIELD[service]
        other = "volume" if wanted == "duration" else "duration"
        if other in attrs:
            raise serializers.ValidationError({other: f"Not used for {service}; send {wanted}."})
        if wanted not in attrs:
            raise serializers.ValidationError({wanted: f"Required for {service}."})
        attrs["usage"] = attrs.pop(wanted)
        try:
            number = normalize_number(attrs["destination"])
        except RatingError:
            raise serializers.ValidationError({"destination": "Digits only, optionally after + or 00."}) from None
        if not number and service != "data":
            raise serializers.ValidationError({"destination": f"Required for {service}."})
        return attrs


class StepChargeSerializer(serializers.Serializer):
    interval_start = serializers.IntegerField(help_text="Where the step begins, in base units from the start.")
    interval_end = serializers.IntegerField(allow_null=True)
    price = serializers.CharField(help_text="Price per rate unit.")
    rate_unit = serializers.IntegerField()
    increment = serializers.IntegerField()
    usage = serializers.IntegerField(help_text="Raw usage falling in this step and part.")
    increments = serializers.IntegerField(help_text="Whole increments billed.")
    billed = serializers.IntegerField(help_text="increments x increment.")
    amount = serializers.CharField(help_text="billed / rate_unit x price, unrounded.")


class QuotePartSerializer(serializers.Serializer):
    start_offset = serializers.IntegerField()
    end_offset = serializers.IntegerField()
    time_band = serializers.CharField(allow_null=True, help_text="null: the any-time rate.")
    prefix = serializers.CharField()
    destination = serializers.CharField()
    steps = StepChargeSerializer(many=True)
    amount = serializers.CharField()


class QuoteResultSerializer(serializers.Serializer):
    cost = serializers.CharField(help_text="Rounded with the rate's method and decimals.")
    currency = serializers.CharField()
    breakdown = QuotePartSerializer(many=True, help_text="One part per time band the usage crossed.")
    price_plan = serializers.CharField()
    tariff = serializers.CharField()
    tariff_version = serializers.DateTimeField(allow_null=True, help_text="effective_from of the rates used.")
    service = serializers.CharField()
    usage = serializers.IntegerField()
    prefix = serializers.CharField()
    destination = serializers.CharField()
    time_bands = serializers.ListField(child=serializers.CharField(allow_null=True))
    connect_fee = serializers.CharField()
    subtotal = serializers.CharField()
    min_charge = serializers.CharField(allow_null=True)
    min_charge_applied = serializers.BooleanField()
    max_cost = serializers.CharField(allow_null=True)
    cap_applied = serializers.BooleanField()
    unrounded_cost = serializers.CharField()
    rounding = serializers.CharField()
    decimals = serializers.IntegerField()


class CanReadCatalog(BasePermission):
    message = "Your role may not read the catalog (rating.view_priceplan)."

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user.has_perm("rating.view_priceplan"))


EXAMPLE_REQUEST = OpenApiExample(
    "A 61-second call to Spain",
    request_only=True,
    value={"price_plan": "mobile-m", "service": "voice", "destination": "+34911223344",
           "start": "2024-05-07T10:00:00Z", "duration": 61},
)  # fmt: skip
EXAMPLE_RESPONSE = OpenApiExample(
    "60/60 at 0.10 per minute plus a 0.05 connect fee",
    response_only=True,
    value={
        "cost": "0.25", "currency": "EUR", "price_plan": "mobile-m", "tariff": "voice-eu",
        "tariff_version": "2024-01-01T00:00:00Z", "service": "voice", "usage": 61, "prefix": "34",
        "destination": "Spain", "time_bands": [None], "connect_fee": "0.050000", "subtotal": "0.250000",
        "min_charge": None, "min_charge_applied": False, "max_cost": None, "cap_applied": False,
        "unrounded_cost": "0.250000", "rounding": "half_up", "decimals": 2,
        "breakdown": [{
            "start_offset": 0, "end_offset": 61, "time_band": None, "prefix": "34", "destination": "Spain",
            "amount": "0.200000",
            "steps": [{"interval_start": 0, "interval_end": None, "price": "0.100000", "rate_unit": 60,
                       "increment": 60, "usage": 61, "increments": 2, "billed": 120, "amount": "0.200000"}],
        }],
    },
)  # fmt: skip


class QuoteView(APIView):
    """Price usage with the same engine and compiled deck as rating; nothing is charged or stored."""

    permission_classes = [IsTenantStaff, CanReadCatalog]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="rating_quote",
        tags=["rating"],
        request=QuoteSerializer,
        responses={
            200: QuoteResultSerializer,
            400: OpenApiResponse(description='A field error naming the field, e.g. {"destination": ["..."]}.'),
        },
        examples=[EXAMPLE_REQUEST, EXAMPLE_RESPONSE],
    )
    def post(self, request: Request) -> Response:
        serializer = QuoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "price_plan" in data:
            plan = quote_plan_by_code(code=data["price_plan"], user=request.user)
        else:
            plan = quote_plan_for_account(
                account_id=data["account"], service=data["service"], at=data["start"], user=request.user
            )
        quote = usage_quote(
            price_plan=plan, service=data["service"], destination=data["destination"], start=data["start"],
            usage=data["usage"], usage_so_far=data["usage_so_far"],
        )  # fmt: skip
        details = quote.result.to_dict()
        body = {
            "cost": details["cost"],
            "currency": details["currency"],
            "breakdown": details["parts"],
            "price_plan": plan.code,
            "tariff": quote.tariff.code,
            "tariff_version": quote.tariff_version,
            "service": data["service"],
            **{key: details[key] for key in QuoteResultSerializer().fields if key in details and key != "breakdown"},
        }
        return Response(QuoteResultSerializer(body).data)


@extend_schema(exclude=True)
class QuoteSlashView(QuoteView):
    """The same endpoint with a trailing slash, like the rest of the API (not listed twice in the schema)."""
