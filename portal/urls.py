from django.urls import path

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("reviewers/", views.reviewer_roster, name="reviewer-roster"),
]
