"""The curation app's models, one module per feature (the app label stays "curation")."""

from curation.models.criteria import CriteriaSet, Criterion
from curation.models.matching import Sighting
from curation.models.notices import DigestState, Notice
from curation.models.releases import (
    BuildHeartbeat,
    Download,
    Feed,
    FeedName,
    Listing,
    Release,
    ReleaseDelta,
    ReleaseFile,
    SigningKey,
)
from curation.models.reports import Report
from curation.models.reviews import Recusal, Review
from curation.models.submissions import MediaType, Signature, Submission

__all__ = [
    "BuildHeartbeat",
    "CriteriaSet",
    "Criterion",
    "DigestState",
    "Download",
    "Feed",
    "FeedName",
    "Listing",
    "MediaType",
    "Notice",
    "Recusal",
    "Release",
    "ReleaseDelta",
    "ReleaseFile",
    "Report",
    "Review",
    "Sighting",
    "Signature",
    "SigningKey",
    "Submission",
]
