"""A push service stand-in on 127.0.0.1 (RFC 8030): it takes what Hisho posts, checks the
VAPID token (RFC 8292) — signature, aud, exp, sub — and decrypts the aes128gcm payload
(RFC 8291) with the subscriber's private key, as the browser would. Paths listed in
`gone` are answered 410, as a push service does for an expired subscription."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Browser:
    """A subscribing browser's keys: what PushManager.subscribe() makes."""

    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def keys(self) -> dict[str, str]:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"p256dh": b64url(point), "auth": b64url(self.auth)}


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    claims: dict[str, Any]
    server_key: str


def verify_vapid(authorization: str) -> tuple[dict[str, Any], str]:
    """`vapid t=<JWT>, k=<key>`: the JWT's ES256 signature checked with k; its claims."""
    scheme, _, rest = authorization.partition(" ")
    assert scheme.lower() == "vapid", authorization
    params = dict(part.strip().split("=", 1) for part in rest.split(","))
    token, key = params["t"], params["k"]
    header_b64, claims_b64, signature_b64 = token.split(".")
    header = json.loads(b64url_decode(header_b64))
    assert header == {"typ": "JWT", "alg": "ES256"}, header
    signature = b64url_decode(signature_b64)
    assert len(signature) == 64
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))
    # Raises InvalidSignature if the token was not signed by the key it names.
    public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    return json.loads(b64url_decode(claims_b64)), key


class PushService:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.gone: set[str] = set()
        self.errors: list[str] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    claims, key = verify_vapid(self.headers["Authorization"])
                    service.received.append(
                        Received(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            claims,
                            key,
                        )
                    )
                except Exception as exc:  # reported to the test, answered 400
                    service.errors.append(repr(exc))
                    self.send_response(400)
                    self.end_headers()
                    return
                self.send_response(410 if self.path in service.gone else 201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PushService:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def endpoint(self, name: str) -> str:
        return f"{self.origin}/push/{name}"

    def decrypt(self, received: Received, browser: Browser) -> bytes:
        assert received.headers["content-encoding"] == "aes128gcm"
        return bytes(
            http_ece.decrypt(
                received.body,
                private_key=browser.private_key,
                auth_secret=browser.auth,
                version="aes128gcm",
            )
        )


def check_claims(service: PushService, received: Received, expected_sub: str) -> None:
    claims = received.claims
    assert claims["aud"] == service.origin
    # RFC 8292: no more than 24 hours ahead, not in the past.
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    assert claims["sub"] == expected_sub
    assert set(claims) == {"aud", "exp", "sub"}
