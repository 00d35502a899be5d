"""The comparison for "Hisho's privacy pipeline costs ≤ 25% of throughput": the same
message post, through a plain Django view that only inserts a row.

Same server process, middleware, database and sign-in (the app token, checked as the API
checks it) and the same access check; then it parses the JSON and inserts the message
with its body as plain UTF-8 — no DLP, no sealing, no audit event, no live fan-out, no
django-ninja. Bench only: never routed in Hisho itself (bench/live/urls.py).
"""

from __future__ import annotations

import json
import uuid

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from hisho.auth import SessionTokenAuth
from hisho.desk.access import access_errand
from hisho.desk.models import Message
from hisho.errors import NotFound


@csrf_exempt
@require_POST
def plain_post(request: HttpRequest, errand_id: str) -> HttpResponse:
    user = SessionTokenAuth().authenticate(request, request.headers.get("X-Session-Token"))
    if user is None:
        return JsonResponse({"detail": "Sign in."}, status=401)
    try:
        # The principal the sign-in attached (access functions take a Principal, as
        # the API's do; a bare user is refused as not signed in: 404).
        errand = access_errand(request.principal, errand_id)  # type: ignore[attr-defined]
        body = json.loads(request.body)["body"]
    except NotFound:
        return JsonResponse({"detail": "No such errand."}, status=404)
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"detail": "Bad request."}, status=400)
    message = Message.objects.create(
        errand=errand, author=user, seal_id=uuid.uuid4(), sealed_body=str(body).encode()
    )
    return JsonResponse(
        {"id": message.pk, "body": body, "created_at": message.created_at.isoformat()},
        status=201,
    )
