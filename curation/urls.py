from django.urls import path

from curation import audit_views, release_views, review_views, views

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
    path("submissions/<uuid:item_id>/retract/", release_views.item_retract, name="submission-retract"),
    path("releases/", release_views.release_list, name="release-list"),
    path("releases/publish/", release_views.release_publish, name="release-publish"),
    path("releases/<int:version>/", release_views.release_detail, name="release-detail"),
    path("entitlements/", release_views.entitlements, name="entitlements"),
    path("audit/", audit_views.audit_log, name="audit-log"),
    path("audit/export.csv", audit_views.audit_export, name="audit-export"),
]
