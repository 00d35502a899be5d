from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "hisho.inbox"
    label = "inbox"
    verbose_name = "Read markers"
