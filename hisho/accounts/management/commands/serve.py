"""`hisho serve [--tls CERT KEY] [--host H] [--port P]`: Hisho's ASGI app in uvicorn.

With `--tls`, uvicorn speaks HTTPS itself (TLS 1.2 or newer) — for small installs with no
reverse proxy in front; larger ones terminate TLS at the proxy (docs/security.md).
System checks run first, as for every command, so a keyring that does not belong to
the database (vault.E001/E002) or a bad setting stops it before it serves.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Serve Hisho (HTTP, or HTTPS with --tls CERT KEY) with uvicorn."
    requires_system_checks = "__all__"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on")
        parser.add_argument(
            "--tls",
            nargs=2,
            metavar=("CERT", "KEY"),
            help="serve HTTPS with this PEM certificate chain and private key",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        port = options["port"]
        if not 0 <= port <= 65535:
            raise CommandError("--port must be between 0 and 65535.")
        tls: dict[str, str] = {}
        if options["tls"]:
            cert, key = (Path(p) for p in options["tls"])
            for path in (cert, key):
                if not path.is_file():
                    raise CommandError(f"--tls: {path} is not a readable file.")
            tls = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
        config = uvicorn.Config(
            "hisho.asgi:application",
            host=options["host"],
            port=port,
            proxy_headers=False,
            server_header=False,
            lifespan="off",
            timeout_graceful_shutdown=10,
            **tls,  # type: ignore[arg-type]
        )
        try:
            config.load()
        except (OSError, ssl.SSLError) as exc:
            raise CommandError(f"--tls: the certificate or key does not load ({exc}).") from None
        if config.ssl is not None:
            # No SSL 3, TLS 1.0 or 1.1 (ASVS v5.0.0-12.1.1).
            config.ssl.minimum_version = ssl.TLSVersion.TLSv1_2
        scheme = "https" if tls else "http"
        self.stdout.write(f"Hisho on {scheme}://{options['host']}:{port}/")
        uvicorn.Server(config).run()
