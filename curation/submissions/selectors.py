"""Reads of items: visible lists and details, search by value, status history, held items and chains."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from core.actions import STATUS_ACTIONS
from core.models import AuditEntry
from curation import permissions
from curation.hashing.signatures import value_digest
from curation.models import Signature, Submission


def with_details(items: QuerySet[Submission]) -> QuerySet[Submission]:
    return items.select_related("organisation", "criteria_set", "submitter").prefetch_related(
        Prefetch("signatures", queryset=Signature.objects.order_by("algorithm"))
    )


def submission_list_for(user, *, status: str | None = None, value: str = "") -> QuerySet[Submission]:
    items = permissions.submissions_visible_to(user)
    if status:
        items = items.filter(status=status)
    if value.strip():
        items = items.filter(pk__in=items_with_value(value))
    return with_details(items).order_by("-created_at", "id")


def submission_for(user, item_id) -> Submission | None:
    """The item if `user` may see it, else None (callers answer 404)."""
    return with_details(permissions.submissions_visible_to(user)).filter(pk=item_id).first()


def submission_visible_or_404(user, item_id) -> Submission:
    """The item the pages act on: 404 when `user` may not see it (as when it does not exist)."""
    item = submission_for(user, item_id)
    if item is None:
        raise Http404
    return item


def status_history(item: Submission) -> QuerySet[AuditEntry]:
    """The item's status changes from the audit log (never its review entries: blind review)."""
    return AuditEntry.objects.filter(object_type="curation.submission", object_id=str(item.pk),
                                     action__in=STATUS_ACTIONS).order_by("seq")


def items_with_value(value: str):
    """Ids of items holding a signature with this value, in any algorithm (hex in any case, base64 exact)."""
    raw = value.strip()
    digests = {value_digest(raw), value_digest(raw.lower())}
    return Signature.objects.filter(value_digest__in=digests).values("submission_id")


def held_items() -> QuerySet[Submission]:
    """Items waiting for a curator's sign-off or refusal, oldest first."""
    return with_details(Submission.objects.filter(status=Submission.Status.HELD)).select_related(
        "previous").order_by("created_at", "id")


def chain_of(item: Submission) -> list[Submission]:
    """Every item of `item`'s chain of linked items (itself included), oldest first; [item] alone
    when nothing links to or from it."""
    root = item.chain_root_id or item.pk
    return list(Submission.objects.filter(Q(pk=root) | Q(chain_root_id=root))
                .select_related("organisation").order_by("created_at", "id"))
