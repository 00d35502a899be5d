from django.apps import AppConfig


class LegalConfig(AppConfig):
    name = "hisho.legal"
    label = "legal"
    verbose_name = "Legal disclosures"

    def ready(self) -> None:
        from hisho.legal.grants import withheld_access_entries
        from hisho.vault import access as vault_access

        # Reads under a disclosure stay out of the person's access log until notice.
        if withheld_access_entries not in vault_access.WITHHELD:
            vault_access.WITHHELD.append(withheld_access_entries)
