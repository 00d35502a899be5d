from django.urls import path

from hisho.outreach import views

urlpatterns = [
    path("staff/outreach/", views.staff_campaigns, name="outreach_staff"),
    path(
        "staff/outreach/<str:campaign_id>/",
        views.staff_campaign,
        name="outreach_staff_campaign",
    ),
    path(
        "staff/outreach/<str:campaign_id>/send/",
        views.staff_send_campaign,
        name="outreach_staff_send",
    ),
    path("outreach/unsubscribe/<str:token>", views.unsubscribe, name="outreach_unsubscribe"),
    path("outreach/surveys/<str:token>/", views.survey, name="outreach_survey"),
    path(
        "webhooks/outreach/<str:processor>",
        views.processor_webhook,
        name="outreach_webhook",
    ),
]
