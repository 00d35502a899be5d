from django.urls import path

from hisho.attachments import views

urlpatterns = [
    path("errands/<str:errand_id>/attachments/", views.upload, name="attachment_upload"),
]
