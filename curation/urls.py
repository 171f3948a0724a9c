from django.urls import path

from curation import views

urlpatterns = [
    path("submit/", views.submission_create, name="submission-create"),
    path("submissions/", views.submission_list, name="submission-list"),
    path("submissions/<uuid:item_id>/", views.submission_detail, name="submission-detail"),
    path("submissions/<uuid:item_id>/withdraw/", views.submission_withdraw, name="submission-withdraw"),
]
