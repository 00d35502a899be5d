from django.apps import AppConfig


class IdempotencyConfig(AppConfig):
    name = "hisho.idempotency"
    label = "idempotency"
    verbose_name = "Idempotent retries"
