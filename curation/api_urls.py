from django.urls import path

from curation.hashing import api as hashing_api
from curation.matching import api as matching_api
from curation.releases import api as release_api
from curation.reports import api as report_api
from curation.reviews import api as review_api
from curation.submissions import api as submission_api

urlpatterns = [
    path("algorithms/", hashing_api.AlgorithmsView.as_view(), name="api-algorithms"),
    path("criteria/", review_api.CriteriaView.as_view(), name="api-criteria"),
    path("hash/", hashing_api.HashView.as_view(), name="api-hash"),
    path("match/", matching_api.MatchView.as_view(), name="api-match"),
    path("submissions/", submission_api.SubmissionListView.as_view(), name="api-submissions"),
    path("submissions/<uuid:item_id>/", submission_api.SubmissionDetailView.as_view(), name="api-submission"),
    path("submissions/<uuid:item_id>/near-duplicates/", submission_api.NearDuplicatesView.as_view(),
         name="api-submission-near-duplicates"),
    path("submissions/<uuid:item_id>/withdraw/", submission_api.SubmissionWithdrawView.as_view(),
         name="api-submission-withdraw"),
    path("submissions/<uuid:item_id>/reviews/", review_api.ReviewsView.as_view(), name="api-submission-reviews"),
    path("submissions/<uuid:item_id>/recuse/", review_api.RecuseView.as_view(), name="api-submission-recuse"),
    path("review-queue/", review_api.ReviewQueueView.as_view(), name="api-review-queue"),
    path("submissions/<uuid:item_id>/retract/", submission_api.RetractView.as_view(), name="api-submission-retract"),
    path("submissions/<uuid:item_id>/sign-off/", submission_api.SignOffView.as_view(),
         name="api-submission-sign-off"),
    path("submissions/<uuid:item_id>/refuse/", submission_api.RefuseView.as_view(), name="api-submission-refuse"),
    path("reports/", report_api.ReportListView.as_view(), name="api-reports"),
    path("reports/<uuid:report_id>/", report_api.ReportDetailView.as_view(), name="api-report"),
    path("reports/<uuid:report_id>/dismiss/", report_api.ReportDismissView.as_view(), name="api-report-dismiss"),
    path("releases/", release_api.ReleaseListView.as_view(), name="api-releases"),
    path("releases/latest/", release_api.ReleaseLatestView.as_view(), name="api-release-latest"),
    path("releases/<int:version>/", release_api.ReleaseDetailView.as_view(), name="api-release"),
    path("releases/<int:version>/files/<str:file_format>/", release_api.ReleaseFileView.as_view(),
         name="api-release-file"),
    path("releases/<int:version>/manifest/", release_api.ManifestView.as_view(), name="api-release-manifest"),
    path("releases/<int:version>/signature/", release_api.SignatureView.as_view(), name="api-release-signature"),
    path("releases/<int:version>/delta/", release_api.DeltaView.as_view(), name="api-release-delta"),
    path("signing-keys/", release_api.SigningKeysView.as_view(), name="api-signing-keys"),
]
