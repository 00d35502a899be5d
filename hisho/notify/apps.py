from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "hisho.notify"
    label = "notify"
    verbose_name = "Notifications"
