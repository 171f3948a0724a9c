from django.urls import path

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("reviewers/", views.reviewer_roster, name="reviewer-roster"),
]
