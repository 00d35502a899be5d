from django.apps import AppConfig


class PushConfig(AppConfig):
    name = "hisho.push"
    label = "push"
    verbose_name = "Web Push"
