"""Websocket routes (served by the same ASGI application as HTTP: hisho/asgi.py)."""

from __future__ import annotations

from typing import Any

from channels.routing import URLRouter
from django.urls import path, re_path

from hisho.desk.consumers import ErrandChatConsumer, Refuse

# Channels routes ASGI applications with Django's path(); django-stubs types path()
# for views only.
_chat: Any = ErrandChatConsumer.as_asgi()
_refuse: Any = Refuse.as_asgi()

websocket_urlpatterns: list[Any] = [
    path("ws/v1/errands/<str:errand_id>/", _chat),
    # Unknown paths are refused at the handshake rather than raising in the router.
    re_path(r"", _refuse),
]

websocket_router = URLRouter(websocket_urlpatterns)
