from django.urls import path

from hisho.notify import views

urlpatterns = [
    path("me/notifications/", views.notification_settings, name="notification_settings"),
]
