"""A small fake of the Stripe API on 127.0.0.1, so the real `stripe` library runs end to end in tests.

It speaks the endpoints we use - customers, setup_intents (+confirm), payment_methods (retrieve,
attach), payment_intents (create, confirm, retrieve), checkout/sessions (create, retrieve), refunds
(create, retrieve) - with form-encoded requests and JSON objects shaped like Stripe's, honours
Idempotency-Key (a replay returns the stored answer, as Stripe does) and can be told to misbehave:
`fake.misbehave("payment_intents.create", "hang")` (do the work, then answer after the client gave
up), "garbage" (do the work, answer a body that is not JSON) or "error" (500, nothing done).
Cards: the test tokens `pm_card_visa` (succeeds), `pm_card_chargeDeclined` (generic decline) and
`pm_card_chargeDeclinedInsufficientFunds`. `event()` builds webhook events and `signature()` signs
them as Stripe does (t=..., v1=HMAC-SHA256 of "t.payload" with the endpoint secret).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

SECRET_KEY = "sk_test_fake_0123456789"
WEBHOOK_SECRET = "whsec_test_fake_secret"
CARDS = {
    "pm_card_visa": {"brand": "visa", "last4": "4242", "decline": None},
    "pm_card_mastercard": {"brand": "mastercard", "last4": "4444", "decline": None},
    "pm_card_chargeDeclined": {"brand": "visa", "last4": "0002", "decline": "generic_decline"},
    "pm_card_chargeDeclinedInsufficientFunds": {"brand": "visa", "last4": "9995", "decline": "insufficient_funds"},
}
DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
}


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's bracket encoding (metadata[k]=v, line_items[0][quantity]=1) back to nested data."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def lists(node: Any) -> Any:
        if isinstance(node, dict):
            if node and all(k.isdigit() for k in node):
                return [lists(node[k]) for k in sorted(node, key=int)]
            return {k: lists(v) for k, v in node.items()}
        return node

    return lists(root)


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


class FakeStripe:
    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.idempotent: dict[str, tuple[int, bytes]] = {}
        self.behaviours: dict[str, deque[str]] = defaultdict(deque)
        self.hang_seconds = 2.5
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- test controls -------------------------------------------------------------------------

    def start(self) -> FakeStripe:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def misbehave(self, endpoint: str, *behaviours: str) -> None:
        """The next calls of `endpoint` (e.g. "payment_intents.create") hang, answer garbage or fail."""
        self.behaviours[endpoint].extend(behaviours)

    def calls(self, endpoint: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["endpoint"] == endpoint]

    def checkout_complete(self, session_id: str, *, card: str = "pm_card_visa") -> dict[str, Any]:
        """The customer paid on the hosted page: a succeeded PaymentIntent, the session complete."""
        with self.lock:
            session = self.objects[session_id]
            pi = self._payment_intent(
                {
                    "amount": session["amount_total"],
                    "currency": session["currency"],
                    "customer": session["customer"],
                    "payment_method": self._card(card, session["customer"])["id"],
                    "metadata": session["payment_intent_data"].get("metadata", {}),
                },
                confirm=True,
            )[1]
            session.update(status="complete", payment_status="paid", payment_intent=pi["id"])
            return dict(session)

    def checkout_expire(self, session_id: str) -> dict[str, Any]:
        with self.lock:
            self.objects[session_id].update(status="expired")
            return dict(self.objects[session_id])

    def event(self, type_: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": new_id("evt"),
            "object": "event",
            "api_version": "2025-06-30.basil",
            "created": int(time.time()),
            "type": type_,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": obj},
        }

    # -- the API -------------------------------------------------------------------------------

    def handle(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")[1:]  # drop "v1"
        if parts[:2] == ["checkout", "sessions"]:
            parts = ["checkout_sessions", *parts[2:]]
        resource, rest = parts[0], parts[1:]
        if method == "GET" and len(rest) == 1:
            found = self.objects.get(rest[0])
            if found is None:
                return 404, self._error("invalid_request_error", "resource_missing", f"No such object: '{rest[0]}'")
            return 200, found
        handler = getattr(self, f"_{resource}_{rest[1] if len(rest) == 2 else 'create'}", None)
        if handler is None or method != "POST":
            return 404, self._error("invalid_request_error", "unknown_endpoint", f"{method} {path}")
        return handler(params, *rest[:1])

    def _customers_create(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        customer = {"id": new_id("cus"), "object": "customer", "email": params.get("email"), "name": params.get("name")}
        customer["metadata"] = params.get("metadata", {})
        return 200, self._store(customer)

    def _setup_intents_create(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        seti_id = new_id("seti")
        intent = {
            "id": seti_id,
            "object": "setup_intent",
            "client_secret": f"{seti_id}_secret_{secrets.token_hex(6)}",
            "customer": params.get("customer"),
            "status": "requires_payment_method",
            "payment_method": None,
            "usage": params.get("usage", "off_session"),
            "metadata": params.get("metadata", {}),
        }
        return 200, self._store(intent)

    def _setup_intents_confirm(self, params: dict[str, Any], seti_id: str) -> tuple[int, dict[str, Any]]:
        intent = self.objects[seti_id]
        card = self._card(params["payment_method"], intent["customer"])
        intent.update(status="succeeded", payment_method=card["id"])
        return 200, intent

    def _payment_methods_attach(self, params: dict[str, Any], pm_id: str) -> tuple[int, dict[str, Any]]:
        card = self._card(pm_id, params["customer"])
        return 200, card

    def _payment_intents_create(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return self._payment_intent(params, confirm=params.get("confirm") == "true")

    def _payment_intents_confirm(self, params: dict[str, Any], pi_id: str) -> tuple[int, dict[str, Any]]:
        intent = self.objects[pi_id]
        intent["payment_method"] = params.get("payment_method", intent["payment_method"])
        return self._confirm(intent)

    def _checkout_sessions_create(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        item = params["line_items"][0]
        price = item["price_data"]
        session_id = new_id("cs_test")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params.get("mode", "payment"),
            "url": f"{self.base_url}/pay/{session_id}",
            "status": "open",
            "payment_status": "unpaid",
            "customer": params.get("customer"),
            "client_reference_id": params.get("client_reference_id"),
            "amount_total": int(price["unit_amount"]) * int(item.get("quantity", 1)),
            "currency": price["currency"],
            "metadata": params.get("metadata", {}),
            "payment_intent_data": params.get("payment_intent_data", {}),
            "payment_intent": None,
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
        }
        return 200, self._store(session)

    def _refunds_create(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        intent = self.objects.get(params.get("payment_intent", ""))
        if intent is None or intent["status"] != "succeeded":
            return 400, self._error("invalid_request_error", "charge_not_refundable", "This payment is not refundable.")
        amount = int(params.get("amount", intent["amount"]))
        refund = {
            "id": new_id("re"),
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "status": "succeeded",
            "reason": params.get("reason"),
            "metadata": params.get("metadata", {}),
        }
        return 200, self._store(refund)

    # -- helpers -------------------------------------------------------------------------------

    def _store(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["id"]] = obj
        return obj

    def _card(self, token: str, customer: str | None) -> dict[str, Any]:
        """A payment method: the test tokens make a new one (as Stripe does), an existing id is reused."""
        if token in self.objects:
            self.objects[token]["customer"] = customer
            return self.objects[token]
        template = CARDS[token]
        card = {
            "id": new_id("pm"),
            "object": "payment_method",
            "type": "card",
            "customer": customer,
            "card": {"brand": template["brand"], "last4": template["last4"], "exp_month": 12, "exp_year": 2034},
            "_decline": template["decline"],
        }
        return self._store(card)

    def _payment_intent(self, params: dict[str, Any], *, confirm: bool) -> tuple[int, dict[str, Any]]:
        intent = {
            "id": new_id("pi"),
            "object": "payment_intent",
            "amount": int(params["amount"]),
            "currency": params["currency"],
            "customer": params.get("customer"),
            "payment_method": params.get("payment_method"),
            "status": "requires_confirmation" if params.get("payment_method") else "requires_payment_method",
            "metadata": params.get("metadata", {}),
            "last_payment_error": None,
            "latest_charge": None,
        }
        self._store(intent)
        return self._confirm(intent) if confirm else (200, intent)

    def _confirm(self, intent: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        card = self.objects.get(intent["payment_method"] or "")
        if card is None:
            card = self._card(intent["payment_method"], intent["customer"])
            intent["payment_method"] = card["id"]
        decline = card.get("_decline")
        charge_id = new_id("ch")
        intent["latest_charge"] = charge_id
        if decline is None:
            intent.update(status="succeeded", last_payment_error=None)
            return 200, intent
        error = {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": decline,
            "message": DECLINE_MESSAGES[decline],
            "charge": charge_id,
            "payment_method": {"id": card["id"]},
        }
        intent.update(status="requires_payment_method", last_payment_error=error)
        return 402, {"error": {**error, "payment_intent": intent}}

    @staticmethod
    def _error(type_: str, code: str, message: str) -> dict[str, Any]:
        return {"error": {"type": type_, "code": code, "message": message}}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def _serve(self, method: str) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                params = decode_form(parse_qsl(body if method == "POST" else url.query, keep_blank_values=True))
                parts = url.path.strip("/").split("/")[1:]
                action = "retrieve" if method == "GET" else ("create" if len(parts) in (1, 2) else parts[-1])
                resource = "checkout_sessions" if parts[:2] == ["checkout", "sessions"] else parts[0]
                endpoint = f"{resource}.{action}"
                key = self.headers.get("Idempotency-Key", "")
                fake.requests.append({"endpoint": endpoint, "params": params, "idempotency_key": key})
                if self.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
                    self._reply(401, json.dumps(fake._error("invalid_request_error", "api_key", "Invalid API Key")))
                    return
                behaviour = fake.behaviours[endpoint].popleft() if fake.behaviours[endpoint] else ""
                if behaviour == "error":
                    self._reply(500, json.dumps(fake._error("api_error", "internal", "Something went wrong")))
                    return
                with fake.lock:
                    if key and key in fake.idempotent:
                        status, payload = fake.idempotent[key]
                    else:
                        status, obj = fake.handle(method, url.path, params)
                        payload = json.dumps({k: v for k, v in obj.items() if not k.startswith("_")}).encode()
                        if key and method == "POST":
                            fake.idempotent[key] = (status, payload)
                if behaviour == "hang":
                    time.sleep(fake.hang_seconds)
                elif behaviour == "garbage":
                    status, payload = 200, b"<html>502 Bad Gateway</html>"
                self._reply(status, payload)

            def _reply(self, status: int, payload: str | bytes) -> None:
                data = payload.encode() if isinstance(payload, str) else payload
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("Request-Id", new_id("req"))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left: that is the point of "hang"

        return Handler


def signature(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A Stripe-Signature header for `payload`, as Stripe computes it."""
    t = timestamp if timestamp is not None else int(time.time())
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


@pytest.fixture
def fake_stripe(settings):
    """The fake on a free port, with the settings that point our Stripe gateway at it."""
    fake = FakeStripe().start()
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake.base_url
    settings.STRIPE_TIMEOUT_SECONDS = 1.0
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    yield fake
    fake.stop()
