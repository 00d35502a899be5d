from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "hisho.search"
    label = "search"
    verbose_name = "Private search"
