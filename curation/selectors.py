"""Every non-trivial read."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from accounts.models import Role, User
from curation import permissions
from curation.models import AuditEntry, CriteriaSet, Review, Signature, Submission


def active_criteria_set() -> CriteriaSet:
    return CriteriaSet.objects.prefetch_related("criteria").get(is_active=True)


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


def review_queue_for(user) -> QuerySet[Submission]:
    """Pending items the reviewer may review, oldest first."""
    if not permissions.may_review(user):
        return Submission.objects.none()
    return Submission.objects.filter(permissions.review_queue_condition(user)).order_by("created_at", "id")


def digest_recipients_for(item: Submission) -> QuerySet:
    """Opted-in, active reviewers outside the item's organisation, with an email address."""
    return (
        User.objects.filter(
            role_grants__role=Role.REVIEWER, is_active=True, organisation__is_active=True, email_digest=True,
        )
        .exclude(organisation_id=item.organisation_id)
        .exclude(email="")
        .distinct()
    )


def reviews_of(item: Submission) -> QuerySet[Review]:
    return Review.objects.filter(submission=item).select_related("reviewer", "organisation").order_by("created_at")


STATUS_ACTIONS = ("submission.create", "submission.approve", "submission.reject", "submission.withdraw",
                  "submission.retract")


def status_history(item: Submission) -> QuerySet[AuditEntry]:
    """The item's status changes from the audit log (never its review entries: blind review)."""
    return AuditEntry.objects.filter(object_type="curation.submission", object_id=str(item.pk),
                                     action__in=STATUS_ACTIONS).order_by("seq")


def approved_not_yet_released() -> int:
    """Approved items the next release will add."""
    from curation.models import Release, ReleaseMember

    latest = Release.objects.filter(status=Release.Status.PUBLISHED).order_by("-version").first()
    approved = Submission.objects.filter(status=Submission.Status.APPROVED)
    if latest is None:
        return approved.count()
    listed = ReleaseMember.objects.filter(release=latest).values("submission_id")
    return approved.exclude(pk__in=listed).count()


def feeds_of(organisation) -> set[str]:
    from guardian.shortcuts import get_objects_for_group

    from curation.models import Feed

    organisation.refresh_from_db(fields=["group"])  # the grant may have created the group meanwhile
    if organisation.group_id is None:
        return set()
    return set(get_objects_for_group(organisation.group, "curation.download_feed", klass=Feed)
               .values_list("name", flat=True))


REVIEW_ACTIONS = ("review.record", "review.recuse")


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


def items_with_value(value: str):
    """Ids of items holding a signature with this value, in any algorithm (hex in any case, base64 exact)."""
    from curation.signatures import value_digest

    raw = value.strip()
    digests = {value_digest(raw), value_digest(raw.lower())}
    return Signature.objects.filter(value_digest__in=digests).values("submission_id")
