from django.urls import path

from hisho.vault import views

urlpatterns = [
    path("me/access-log/", views.access_log, name="access_log"),
]
