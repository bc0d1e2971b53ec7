"""The Stripe webhook endpoint: no session, no token - the signature is the authentication."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from invoicing.payments.exceptions import GatewayNotConfigured, WebhookRejected
from invoicing.payments.services.webhooks import stripe_webhook_receive


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    """200 once the event is stored and handled (or was already); 400 for a bad signature (nothing
    changed); 500 when handling failed, so Stripe delivers it again."""
    try:
        event, handled = stripe_webhook_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except WebhookRejected as exc:
        return JsonResponse({"code": exc.code, "detail": exc.message}, status=400)
    except GatewayNotConfigured as exc:
        return JsonResponse({"code": exc.code, "detail": exc.message}, status=503)
    except RuntimeError as exc:
        return JsonResponse({"code": "webhook_failed", "detail": str(exc)[:500]}, status=500)
    return JsonResponse({"received": event.event_id, "duplicate": not handled})
