from django.urls import path

from hisho.legal import views

urlpatterns = [
    path("staff/legal/", views.case_list, name="legal_cases"),
    path("staff/legal/<uuid:case_id>/", views.case_detail, name="legal_case"),
    path("staff/legal/<uuid:case_id>/approve/", views.approve, name="legal_approve"),
    path("staff/legal/<uuid:case_id>/reject/", views.reject, name="legal_reject"),
    path("staff/legal/<uuid:case_id>/defer/", views.defer, name="legal_defer"),
    path("staff/legal/<uuid:case_id>/export/", views.export, name="legal_export"),
]
