from django.urls import path

from hisho.accounts import views

urlpatterns = [
    path("me/", views.me, name="me"),
    path("language/", views.set_language, name="set_language"),
    path("staff/people/", views.people, name="people"),
    path("staff/people/<int:person_id>/role/", views.set_role, name="person_set_role"),
    path(
        "staff/people/grants/<str:grant_id>/<str:decision>/",
        views.decide_role_grant,
        name="role_grant_decide",
    ),
    path("me/connected/", views.connected, name="connected_accounts"),
    path(
        "me/connected/<int:account_id>/remove/",
        views.remove_connected,
        name="connected_account_remove",
    ),
]
