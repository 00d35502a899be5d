from django.urls import path

from hisho.signing import views

urlpatterns = [
    path(".well-known/hisho-signing-keys.json", views.signing_keys, name="signing_keys"),
]
