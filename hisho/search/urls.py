from django.urls import path

from hisho.search import views

# Before the desk's `errands/<errand_id>/` (hisho/urls.py includes this first).
urlpatterns = [path("errands/search/", views.errand_search, name="errand_search")]
