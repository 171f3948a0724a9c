"""Every non-trivial read."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from curation import permissions
from curation.models import CriteriaSet, Signature, Submission


def active_criteria_set() -> CriteriaSet:
    return CriteriaSet.objects.prefetch_related("criteria").get(is_active=True)


def with_details(items: QuerySet[Submission]) -> QuerySet[Submission]:
    return items.select_related("organisation", "criteria_set", "submitter").prefetch_related(
        Prefetch("signatures", queryset=Signature.objects.order_by("algorithm"))
    )


def submission_list_for(user, *, status: str | None = None) -> QuerySet[Submission]:
    items = permissions.submissions_visible_to(user)
    if status:
        items = items.filter(status=status)
    return with_details(items).order_by("-created_at", "id")


def submission_for(user, item_id) -> Submission | None:
    """The item if `user` may see it, else None (callers answer 404)."""
    return with_details(permissions.submissions_visible_to(user)).filter(pk=item_id).first()
