from django.apps import AppConfig


class LegalConfig(AppConfig):
    name = "hisho.legal"
    label = "legal"
    verbose_name = "Legal disclosures"

    def ready(self) -> None:
        from hisho.legal.grants import DisclosureGrants
        from hisho.vault.policy import register

        # Reads under an approved disclosure, and their access-log entries withheld until
        # notice is given (hisho/vault/policy.py).
        register(DisclosureGrants())
