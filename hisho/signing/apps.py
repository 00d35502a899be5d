from django.apps import AppConfig


class SigningConfig(AppConfig):
    name = "hisho.signing"
    label = "signing"
    verbose_name = "Signing keys"

    def ready(self) -> None:
        # checks registers the start-up check; keys registers its wrapped secrets.
        from hisho.signing import checks, keys  # noqa: F401
