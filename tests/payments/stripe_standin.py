"""A stand-in of the Stripe API on loopback, for the Stripe adapter's tests: it answers
the two calls Hisho makes (create a Checkout Session, create a Refund) and checks what
Stripe checks — the secret key, the form encoding, the API version header, the
parameters (mode, currency, JPY minimum, payment method types, absolute URLs), amounts
against what was paid, and idempotency keys (same key, same answer)."""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

SECRET_KEY = "sk_test_hisho_standin"


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"type": "invalid_request_error", "code": code, "message": message}}


class StripeStandIn:
    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, Any]] = {}
        self.intents: dict[str, dict[str, int]] = {}
        self.idempotent: dict[str, tuple[int, dict[str, Any]]] = {}
        self.requests: list[dict[str, Any]] = []
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                status, body = standin.handle(self.path, dict(self.headers), raw)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def pay(self, session_id: str) -> str:
        """The customer paid on Stripe's page: the session's PaymentIntent holds money."""
        session = self.sessions[session_id]
        intent = session["payment_intent"]
        self.intents[intent] = {"amount": session["amount_total"], "refunded": 0}
        return str(intent)

    def handle(self, path: str, headers: dict[str, str], raw: str) -> tuple[int, dict[str, Any]]:
        form = dict(parse_qsl(raw, keep_blank_values=True))
        self.requests.append({"path": path, "headers": headers, "form": form})
        if headers.get("Authorization") != f"Bearer {SECRET_KEY}":
            return 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}}
        if not headers.get("Stripe-Version"):
            return _error(400, "api_version_missing", "No API version.")
        if headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
            return _error(400, "parameter_invalid", "Form-encoded bodies only.")
        key = headers.get("Idempotency-Key")
        if key and key in self.idempotent:
            return self.idempotent[key]
        if path == "/v1/checkout/sessions":
            answer = self.create_session(form)
        elif path == "/v1/refunds":
            answer = self.create_refund(form)
        else:
            answer = _error(404, "resource_missing", "Unrecognized request URL.")
        if key:
            self.idempotent[key] = answer
        return answer

    def create_session(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("mode") != "payment":
            return _error(400, "parameter_invalid", "mode")
        currency = form.get("line_items[0][price_data][currency]")
        try:
            amount = int(form.get("line_items[0][price_data][unit_amount]", ""))
            quantity = int(form.get("line_items[0][quantity]", ""))
        except ValueError:
            return _error(400, "parameter_invalid_integer", "unit_amount")
        if currency != "jpy" or amount < 50 or quantity != 1:
            return _error(400, "amount_too_small", "JPY, at least ¥50")
        methods = sorted(v for k, v in form.items() if k.startswith("payment_method_types["))
        if not methods or set(methods) - {"card", "konbini"}:
            return _error(400, "parameter_invalid", "payment_method_types")
        for name in ("success_url", "cancel_url"):
            if urlsplit(form.get(name, "")).scheme not in ("http", "https"):
                return _error(400, "url_invalid", name)
        if not form.get("line_items[0][price_data][product_data][name]"):
            return _error(400, "parameter_missing", "product_data[name]")
        session_id = f"cs_test_{secrets.token_hex(12)}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "payment",
            "amount_total": amount,
            "currency": currency,
            "client_reference_id": form.get("client_reference_id"),
            "metadata": {"payment_request": form.get("metadata[payment_request]")},
            "payment_intent": f"pi_test_{secrets.token_hex(8)}",
            "payment_status": "unpaid",
            "status": "open",
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        }
        self.sessions[session_id] = session
        return 200, session

    def create_refund(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        intent = self.intents.get(form.get("payment_intent", ""))
        if intent is None:
            return _error(400, "resource_missing", "No such payment_intent")
        amount = int(form.get("amount") or intent["amount"] - intent["refunded"])
        if amount > intent["amount"] - intent["refunded"]:
            return _error(400, "amount_too_large", "Refund amount is greater than unrefunded")
        intent["refunded"] += amount
        return 200, {"id": f"re_test_{secrets.token_hex(8)}", "object": "refund", "amount": amount}
