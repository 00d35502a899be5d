from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "hisho.payments"
    label = "payments"
    verbose_name = "Payments"
