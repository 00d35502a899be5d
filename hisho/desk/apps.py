from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "hisho.desk"
    label = "desk"
    verbose_name = "Errands"
