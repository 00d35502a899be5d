from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "hisho.accounts"
    label = "accounts"
    verbose_name = "Accounts"
