from django.urls import path

from hisho.desk import views

urlpatterns = [
    path("", views.home, name="home"),
    path("errands/", views.errand_list, name="errand_list"),
    path("errands/new/", views.errand_create, name="errand_create"),
    path("errands/<str:errand_id>/", views.errand_detail, name="errand_detail"),
    path("errands/<str:errand_id>/messages/", views.post_message, name="errand_post_message"),
    path("errands/<str:errand_id>/status/", views.change_status, name="errand_status"),
    path("errands/<str:errand_id>/assign/", views.assign, name="errand_assign"),
    path(
        "errands/<str:errand_id>/other-assistant/",
        views.other_assistant,
        name="errand_other_assistant",
    ),
    path("errands/<str:errand_id>/accept/", views.accept_assistant, name="errand_accept"),
    path("queue/", views.queue, name="queue"),
]
