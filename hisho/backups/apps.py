from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "hisho.backups"
    label = "backups"
    verbose_name = "Backups and the erasure ledger"

    def ready(self) -> None:
        from hisho.backups import checks  # noqa: F401 - registers the ledger check
