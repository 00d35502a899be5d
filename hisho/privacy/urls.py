from django.urls import path

from hisho.privacy import views

urlpatterns = [
    path("privacy/", views.policy_page, name="privacy"),
    path("privacy/policy.json", views.policy_json, name="privacy_policy_json"),
    path("privacy/<str:name>.schema.json", views.schema_file, name="privacy_schema"),
    path("privacy/versions/<int:number>/", views.policy_version_page, name="privacy_version"),
    path(
        "privacy/versions/<int:number>/<str:language>/",
        views.policy_version_page,
        name="privacy_version_language",
    ),
    path("privacy/cookies/", views.cookie_settings, name="privacy_cookies"),
    path("privacy/contact/", views.contact, name="privacy_contact"),
    path("privacy/acknowledge/", views.acknowledge, name="privacy_acknowledge"),
    path("privacy/<str:language>/", views.policy_page, name="privacy_language"),
    path("me/data/", views.my_data, name="privacy_my_data"),
    path("me/data/export/", views.export_download, name="privacy_export"),
    path("me/consents/", views.consents_page, name="privacy_consents"),
    path("privacy/confirm/<str:token>/", views.confirm_consent, name="privacy_confirm"),
    path("me/erase/", views.erase, name="privacy_erase"),
    path("staff/privacy/", views.staff_versions, name="privacy_staff"),
]
