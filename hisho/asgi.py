"""ASGI entry point: `uvicorn hisho.asgi:application`."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hisho.settings")

application = get_asgi_application()
