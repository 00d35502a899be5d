from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "hisho.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # The admin site (listed first, so its autodiscovery has run) keeps only Hisho's
        # own model admins: the libraries' would let one superuser take over an account.
        from django.contrib import admin

        from hisho.admin_site import keep_only_hisho_admins

        keep_only_hisho_admins(admin.site)
        # allauth inputs that would otherwise raise (a 500) are refused as invalid.
        from hisho.compat.allauth import refuse_malformed_input

        refuse_malformed_input()
        # Audit events for what allauth's own pages change (MFA, providers, passwords).
        from hisho.accounts import passkeys
        from hisho.accounts.security import connect_signals

        connect_signals()
        # Card numbers typed into a passkey's name are masked before it is stored.
        passkeys.connect()
        # ...and card numbers in what a sign-in provider returned.
        from hisho.accounts import social

        social.connect()
