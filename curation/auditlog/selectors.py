"""The audit log as administrators may read it."""

from __future__ import annotations

from core.actions import REVIEW_ACTIONS
from core.models import AuditEntry
from curation import permissions
from curation.models import Submission


def audit_entries_visible(*, action: str = "", actor: str = "", object_id: str = "", since=None, until=None):
    """The audit log as administrators may read it. Blind review holds here too: the review and
    recusal entries of an item that is not decided are left out entirely (even their number would
    tell something) until it is decided; a withdrawn item's stay hidden."""
    undecided = [str(pk) for pk in Submission.objects.exclude(status__in=permissions.DECIDED)
                 .values_list("pk", flat=True)]
    entries = AuditEntry.objects.exclude(action__in=REVIEW_ACTIONS, object_id__in=undecided)
    if action:
        entries = entries.filter(action__startswith=action)
    if actor:
        entries = entries.filter(actor_username=actor)
    if object_id:
        entries = entries.filter(object_id=object_id)
    if since:
        entries = entries.filter(created_at__date__gte=since)
    if until:
        entries = entries.filter(created_at__date__lte=until)
    return entries.select_related("organisation").order_by("-seq")
