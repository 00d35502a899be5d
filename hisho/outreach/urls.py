from django.urls import path

from hisho.outreach import views

urlpatterns = [
    path("outreach/unsubscribe/<str:token>", views.unsubscribe, name="outreach_unsubscribe"),
    path("outreach/surveys/<str:token>/", views.survey, name="outreach_survey"),
    path(
        "webhooks/outreach/<str:processor>",
        views.processor_webhook,
        name="outreach_webhook",
    ),
]
