from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "hisho.audit"
    label = "audit"
    verbose_name = "Audit log"
