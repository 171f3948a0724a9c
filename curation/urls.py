from django.urls import path

from curation.auditlog import views as auditlog_views
from curation.matching import views as matching_views
from curation.notices import views as notice_views
from curation.releases import views as release_views
from curation.reports import views as report_views
from curation.reviews import views as review_views
from curation.submissions import held_views
from curation.submissions import views as submission_views

urlpatterns = [
    path("submit/", submission_views.submission_create, name="submission-create"),
    path("check/", matching_views.check, name="check"),
    path("activity/", report_views.activity, name="activity"),
    path("reports/", report_views.report_list, name="report-list"),
    path("reports/<uuid:report_id>/dismiss/", report_views.report_dismiss, name="report-dismiss"),
    path("submissions/", submission_views.submission_list, name="submission-list"),
    path("submissions/<uuid:item_id>/", submission_views.submission_detail, name="submission-detail"),
    path("submissions/<uuid:item_id>/withdraw/", submission_views.submission_withdraw, name="submission-withdraw"),
    path("submissions/<uuid:item_id>/retract/", submission_views.item_retract, name="submission-retract"),
    path("reviews/", review_views.review_queue, name="review-queue"),
    path("reviews/mine/", review_views.review_history, name="review-history"),
    path("reviews/<uuid:item_id>/", review_views.review_item, name="review-item"),
    path("reviews/<uuid:item_id>/recuse/", review_views.review_recuse, name="review-recuse"),
    path("notices/", notice_views.notice_list, name="notices"),
    path("criteria/", review_views.criteria_admin, name="criteria-admin"),
    path("releases/", release_views.release_list, name="release-list"),
    path("releases/publish/", release_views.release_publish, name="release-publish"),
    path("releases/<int:version>/", release_views.release_detail, name="release-detail"),
    path("entitlements/", release_views.entitlements, name="entitlements"),
    path("audit/", auditlog_views.audit_log, name="audit-log"),
    path("audit/export.csv", auditlog_views.audit_export, name="audit-export"),
    path("held/", held_views.held_list, name="held-list"),
    path("submissions/<uuid:item_id>/sign-off/", held_views.held_sign_off, name="held-sign-off"),
    path("submissions/<uuid:item_id>/refuse/", held_views.held_refuse, name="held-refuse"),
]
