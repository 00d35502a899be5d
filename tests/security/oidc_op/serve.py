"""`python -m tests.security.oidc_op.serve PORT CLIENT_JSON`: migrate a fresh provider
database, register the clients and people, and serve on 127.0.0.1:PORT."""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    port, setup = int(sys.argv[1]), json.loads(sys.argv[2])
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.security.oidc_op.settings"
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from allauth.idp.oidc.models import Client
    from django.contrib.auth.models import User
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    for client in setup["clients"]:
        row = Client(id=client["id"], name=client["id"], skip_consent=True)
        row.set_secret(client["secret"])
        row.set_redirect_uris(client["redirect_uris"])
        row.set_scopes(["openid", "profile", "email"])
        row.save()
    for person in setup["people"]:
        user = User.objects.create_user(
            username=person["email"].split("@")[0],
            email=person["email"],
            password=person["password"],
            first_name=person.get("name", ""),
        )
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)

    import uvicorn
    from django.core.asgi import get_asgi_application

    uvicorn.run(get_asgi_application(), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
