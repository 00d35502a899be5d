from django.urls import path

from hisho.desk import views
from hisho.desk.tools import views as tools

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
    # Assistant tools and the customer's confirm/reopen/rating (issue 18).
    path("errands/<str:errand_id>/claim/", tools.claim, name="errand_claim"),
    path("errands/<str:errand_id>/hand-back/", tools.hand_back, name="errand_hand_back"),
    path("errands/<str:errand_id>/confirm/", tools.confirm, name="errand_confirm"),
    path("errands/<str:errand_id>/reopen/", tools.reopen, name="errand_reopen"),
    path("errands/<str:errand_id>/rating/", tools.rate, name="errand_rate"),
    path("errands/<str:errand_id>/notes/", tools.add_note, name="errand_add_note"),
    path("errands/<str:errand_id>/labels/", tools.set_labels, name="errand_set_labels"),
    path("staff/desk/", tools.staff_tools, name="desk_staff_tools"),
    path("my-rating/", tools.my_average, name="desk_my_rating"),
]
