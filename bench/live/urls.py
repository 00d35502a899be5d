"""Hisho's routes plus the bench's plain insert view."""

from __future__ import annotations

from django.urls import path

from bench.live.baseline import plain_post
from hisho.urls import handler400, handler403, handler404
from hisho.urls import urlpatterns as hisho_urlpatterns

urlpatterns = [
    path("bench/plain-post/<str:errand_id>", plain_post),
    *hisho_urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "urlpatterns"]
