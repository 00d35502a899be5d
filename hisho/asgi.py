"""ASGI entry point: `uvicorn hisho.asgi:application`.

HTTP goes to Django; websockets (the live chat, hisho/routing.py) go through Channels'
cookie/session/user middleware, which gives the consumer the browser's session. The
app's token and the Origin are checked by the consumer itself (hisho/desk/consumers.py).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hisho.settings")

# Django first: the imports below need the app registry.
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter  # noqa: E402

from hisho.routing import websocket_router  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AuthMiddlewareStack(websocket_router),
    }
)
