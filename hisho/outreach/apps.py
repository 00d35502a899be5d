from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "hisho.outreach"
    label = "outreach"
    verbose_name = "Newsletters and surveys"
