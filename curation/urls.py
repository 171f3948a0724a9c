from django.urls import path

from curation import review_views, views

urlpatterns = [
    path("submit/", views.submission_create, name="submission-create"),
    path("submissions/", views.submission_list, name="submission-list"),
    path("submissions/<uuid:item_id>/", views.submission_detail, name="submission-detail"),
    path("submissions/<uuid:item_id>/withdraw/", views.submission_withdraw, name="submission-withdraw"),
    path("reviews/", review_views.review_queue, name="review-queue"),
    path("reviews/<uuid:item_id>/", review_views.review_item, name="review-item"),
    path("reviews/<uuid:item_id>/recuse/", review_views.review_recuse, name="review-recuse"),
    path("notices/", review_views.notice_list, name="notices"),
    path("criteria/", review_views.criteria_admin, name="criteria-admin"),
]
