from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "hisho.vault"
    label = "vault"
    verbose_name = "Vault"

    def ready(self) -> None:
        from django.core.signals import setting_changed
        from django.db.backends.signals import connection_created

        from hisho.config import make_sqlite_files_private
        from hisho.vault import checks  # registers the start-up checks
        from hisho.vault.keyring import master_keys

        # A missing or unreadable keyring stops every entry point (serve, commands) here,
        # with a message saying what to do. Embedded installs generate it on first run.
        master_keys()
        setting_changed.connect(checks.on_setting_changed)
        # The embedded database is as private as the keyring (docs/operations.md).
        connection_created.connect(make_sqlite_files_private)
