from django.urls import path

from hisho.audit import views

urlpatterns = [
    path("staff/audit/", views.audit_log, name="audit_log"),
]
