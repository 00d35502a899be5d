from django.urls import path

from hisho.partners import views

urlpatterns = [
    path("partner/", views.partner_home, name="partner_home"),
    path("partner/reports/<str:name>/release/", views.request_release, name="partner_release"),
    path("partner/offers/", views.submit_offer, name="partner_submit_offer"),
    path("staff/offers/", views.review_offers, name="offers_review"),
    path(
        "staff/offers/<str:offer_id>/<str:decision>/",
        views.decide_offer,
        name="offer_decide",
    ),
    path("releases/", views.releases_ledger, name="releases_ledger"),
    path("go/<str:offer_id>/", views.leave, name="offer_leave"),
]
