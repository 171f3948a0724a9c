from django.urls import path

from curation import api

urlpatterns = [
    path("algorithms/", api.AlgorithmsView.as_view(), name="api-algorithms"),
    path("criteria/", api.CriteriaView.as_view(), name="api-criteria"),
]
