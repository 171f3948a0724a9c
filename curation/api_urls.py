from django.urls import path

from curation import api

urlpatterns = [
    path("algorithms/", api.AlgorithmsView.as_view(), name="api-algorithms"),
    path("criteria/", api.CriteriaView.as_view(), name="api-criteria"),
    path("hash/", api.HashView.as_view(), name="api-hash"),
    path("submissions/", api.SubmissionListView.as_view(), name="api-submissions"),
    path("submissions/<uuid:item_id>/", api.SubmissionDetailView.as_view(), name="api-submission"),
    path("submissions/<uuid:item_id>/withdraw/", api.SubmissionWithdrawView.as_view(), name="api-submission-withdraw"),
    path("submissions/<uuid:item_id>/reviews/", api.ReviewsView.as_view(), name="api-submission-reviews"),
    path("submissions/<uuid:item_id>/recuse/", api.RecuseView.as_view(), name="api-submission-recuse"),
    path("review-queue/", api.ReviewQueueView.as_view(), name="api-review-queue"),
]
