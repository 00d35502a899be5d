from django.urls import path

from hisho.payments import views

urlpatterns = [
    path("errands/<str:errand_id>/payments/", views.request_payment, name="payment_request"),
    path("payments/<str:payment_id>/pay/", views.pay, name="payment_pay"),
    path("payments/<str:payment_id>/return/", views.checkout_return, name="payment_return"),
    path("payments/<str:payment_id>/refund/", views.refund, name="payment_refund"),
    path("payments/<str:payment_id>/receipt/", views.receipt, name="payment_receipt"),
    path("webhooks/payments/<str:provider>", views.webhook, name="payment_webhook"),
    path("sandbox-pay/<str:session_id>/", views.sandbox_page, name="sandbox_pay"),
    path(
        "sandbox-pay/<str:session_id>/<str:outcome>/",
        views.sandbox_act,
        name="sandbox_pay_act",
    ),
]
