from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "hisho.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from hisho.audit import signals, subjects  # noqa: F401 - subjects registers its keys

        signals.connect()
