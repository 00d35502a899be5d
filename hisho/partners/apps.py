from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "hisho.partners"
    label = "partners"
    verbose_name = "Partners"
