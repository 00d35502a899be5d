from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "hisho.desk"
    label = "desk"
    verbose_name = "Errands"

    def ready(self) -> None:
        from hisho.desk.unseal_rule import ErrandParticipants
        from hisho.vault.policy import register

        # Errand content opens for its owner and current assignee (hisho/vault/policy.py).
        register(ErrandParticipants())
