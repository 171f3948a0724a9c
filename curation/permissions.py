"""The one module that answers "may this user see or do this" for items, reviews, releases, feeds,
criteria and the audit log (accounts/permissions.py answers for accounts).

Visibility is a query rule: `submissions_visible_to(user)` is the only way views find an item, so
an invisible item is a 404 everywhere. Actions on a visible item are then checked here (403).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from guardian.shortcuts import get_objects_for_group

from accounts.models import Role
from accounts.permissions import has_any_role, has_role, roles_of
from curation.models import Feed, FeedName, Recusal, Release, Report, Review, Submission

DECIDED = (Submission.Status.APPROVED, Submission.Status.REJECTED, Submission.Status.RETRACTED)


def may_list_submissions(user) -> bool:
    return bool(roles_of(user) & {Role.INVESTIGATOR, Role.CURATOR})


def may_submit(user) -> bool:
    return has_role(user, Role.INVESTIGATOR)


def may_see_every_item(user) -> bool:
    """Curators see every item, whichever organisation submitted it."""
    return has_role(user, Role.CURATOR)


def may_search_by_value(user) -> bool:
    """Only curators find items by hash value: the search spans every organisation's items."""
    return has_role(user, Role.CURATOR)


def may_see_earlier_item_link(user) -> bool:
    """Curators see the link from an item to the earlier item it re-submits (`previous`)."""
    return has_role(user, Role.CURATOR)


def may_see_near_duplicates(user) -> bool:
    """Curators see an item's near-duplicates, listed or not: shown to a reviewer, a rejected one
    would unblind the review (invariant 3)."""
    return has_role(user, Role.CURATOR)


def may_see_status_history(user) -> bool:
    """Curators see an item's status history (who moved it when)."""
    return has_role(user, Role.CURATOR)


def may_review(user) -> bool:
    """Reviewers have a review queue and review or recuse; which items they may review is
    `review_queue_condition` and `review_refusal`."""
    return has_role(user, Role.REVIEWER)


def review_queue_condition(user) -> Q:
    """Pending items `user` may review: never their own organisation's, never one they reviewed or
    recused from, nor one of whose chain they reviewed or recused an earlier item. It depends on
    nothing other reviewers did (DESIGN.md section 4)."""
    mine = Q(submission=OuterRef("pk"), reviewer=user)
    # An earlier item of the chain: its first item, or a member created before this one. Asked only of
    # items in a chain (few), and as two equalities rather than one OR, so each is an index lookup
    # (README, "The review queue at depth").
    earlier = Q(submission__created_at__lt=OuterRef("created_at"), reviewer=user)
    root = Q(submission_id=OuterRef("chain_root_id")) & earlier
    member = Q(submission__chain_root_id=OuterRef("chain_root_id")) & earlier
    return (
        Q(status=Submission.Status.PENDING)
        & ~Q(submitter=user)
        & ~Q(organisation_id=user.organisation_id)
        & ~Exists(Review.objects.filter(mine))
        & ~Exists(Recusal.objects.filter(mine))
        & (Q(chain_root__isnull=True) | (
            ~Exists(Review.objects.filter(root)) & ~Exists(Recusal.objects.filter(root))
            & ~Exists(Review.objects.filter(member)) & ~Exists(Recusal.objects.filter(member))))
    )


def _judged_earlier_in_chain(user, item: Submission) -> bool:
    """Whether `user` reviewed or recused an earlier item of `item`'s chain."""
    if item.chain_root_id is None:
        return False
    earlier = Submission.objects.filter(
        Q(pk=item.chain_root_id) | Q(chain_root_id=item.chain_root_id), created_at__lt=item.created_at,
    )
    return (Review.objects.filter(reviewer=user, submission__in=earlier).exists()
            or Recusal.objects.filter(reviewer=user, submission__in=earlier).exists())


def submissions_visible_to(user) -> QuerySet[Submission]:
    """Curators see every item; investigators their organisation's; reviewers the items queued for
    them and those they reviewed."""
    roles = roles_of(user)
    items = Submission.objects.all()
    if may_see_every_item(user):
        return items
    condition = Q(pk__in=[])
    if Role.INVESTIGATOR in roles:
        condition |= Q(organisation_id=user.organisation_id)
    if Role.REVIEWER in roles:
        reviewed = Review.objects.filter(submission=OuterRef("pk"), reviewer=user)
        condition |= review_queue_condition(user) | Q(Exists(reviewed))
    return items.filter(condition)


@dataclass(frozen=True)
class Refusal:
    message: str
    code: str
    kind: str  # "forbidden" (403) or "conflict" (409)


def review_refusal(user, item: Submission) -> Refusal | None:
    """Why `user` may not review (or recuse from) `item` now; None when they may. Services ask
    again under the item's lock, so a race cannot slip between the check and the write."""
    if not may_review(user):
        return Refusal("Only reviewers review items.", "forbidden", "forbidden")
    if item.submitter_id == user.pk:
        return Refusal("Nobody reviews their own submission.", "own_submission", "forbidden")
    if item.organisation_id == user.organisation_id:
        return Refusal("Reviewers never review their own organisation's items.", "own_organisation", "forbidden")
    if Recusal.objects.filter(submission=item, reviewer=user).exists():
        return Refusal("You recused yourself from this item.", "recused", "forbidden")
    if Review.objects.filter(submission=item, reviewer=user).exists():
        return Refusal("You have already reviewed this item.", "already_reviewed", "conflict")
    if _judged_earlier_in_chain(user, item):
        return Refusal("You reviewed or recused an earlier item with these signatures; other reviewers judge "
                       "this one.", "earlier_in_chain", "forbidden")
    if item.status == Submission.Status.HELD:
        return Refusal("This item is not open for review.", "not_pending", "conflict")
    if item.status != Submission.Status.PENDING:
        return Refusal("This item is no longer pending; it takes no more reviews.", "not_pending", "conflict")
    return None


def may_see_reviews(user, item: Submission) -> bool | None:
    """None while the item is undecided (answer 404: blind review); else whether `user` may see
    its reviews (curators and the item's own reviewers)."""
    if item.status not in DECIDED:
        return None
    return has_role(user, Role.CURATOR) or (
        has_role(user, Role.REVIEWER) and Review.objects.filter(submission=item, reviewer=user).exists()
    )


def may_decide_held(user) -> bool:
    """Curators sign off held items (they go to review) or refuse them (withdrawn), and list them."""
    return has_role(user, Role.CURATOR)


def withdraw_refusal(user, item: Submission) -> str | None:
    """Why `user` may not withdraw `item` (None: allowed). Status is checked under lock later."""
    if item.submitter_id != user.pk or not has_role(user, Role.INVESTIGATOR):
        return "Only the investigator who submitted an item can withdraw it."
    return None


# Releases.

def may_publish(user) -> bool:
    return has_role(user, Role.CURATOR)


def may_retract(user) -> bool:
    return has_role(user, Role.CURATOR)


def may_see_releases(user) -> bool:
    return bool(roles_of(user) & {Role.CURATOR, Role.PARTNER})


def may_see_release_internals(user) -> bool:
    """Those who publish releases (curators) also see a release's note, build progress and error
    in the API; partners get the published files only."""
    return may_publish(user)


def releases_visible_to(user) -> QuerySet[Release]:
    """Curators see every release (building and failed too); partners the published ones."""
    if has_role(user, Role.CURATOR):
        return Release.objects.all()
    if has_role(user, Role.PARTNER):
        return Release.objects.filter(status=Release.Status.PUBLISHED)
    return Release.objects.none()


def entitled_feeds(user) -> frozenset[str]:
    """Curators may fetch every feed; a partner the feeds granted to its organisation."""
    if has_role(user, Role.CURATOR):
        return frozenset(FeedName.values)
    if not has_role(user, Role.PARTNER) or user.organisation.group_id is None:
        return frozenset()
    feeds = get_objects_for_group(user.organisation.group, "curation.download_feed", klass=Feed)
    return frozenset(feeds.values_list("name", flat=True))


def may_match(user) -> bool:
    """`POST match/` (DESIGN.md section 9): partners, curators and investigators."""
    return bool(roles_of(user) & {Role.CURATOR, Role.PARTNER, Role.INVESTIGATOR})


def may_match_every_list(user) -> bool:
    """Curators and investigators match against every list and algorithm; partners their feeds'."""
    return bool(roles_of(user) & {Role.CURATOR, Role.INVESTIGATOR})


def may_match_files(user) -> bool:
    """Curators and investigators may match a file (hashed in memory); partners send hashes only."""
    return may_match_every_list(user)


def records_sightings(user) -> bool:
    """Partner calls leave sightings; curators' and investigators' checks do not (DESIGN.md section 9)."""
    return has_role(user, Role.PARTNER) and not may_match_every_list(user)


def may_see_sightings(user) -> bool:
    """Curators see sightings and reports per item, and the spike flag (DESIGN.md section 11)."""
    return has_role(user, Role.CURATOR)


def may_triage_reports(user) -> bool:
    """Curators triage false-positive reports: dismiss them, or (with disputes) open a review round."""
    return has_role(user, Role.CURATOR)


def may_see_reports(user) -> bool:
    """Partners (their own), curators (all) and investigators (shared on their items) have reports."""
    return has_any_role(user, Role.PARTNER, Role.CURATOR, Role.INVESTIGATOR)


def may_report(user) -> bool:
    """Partners report what they find on their networks (DESIGN.md section 11)."""
    return has_role(user, Role.PARTNER)


def reports_visible_to(user) -> QuerySet[Report]:
    """A partner its organisation's reports; curators all; investigators the `match` reports shared
    with their organisation as the item's submitter; nobody else any (never another partner's)."""
    reports = Report.objects.select_related("item", "organisation")
    if has_role(user, Role.CURATOR):
        return reports
    visible = Q(pk__in=[])
    if has_role(user, Role.PARTNER):
        visible |= Q(organisation_id=user.organisation_id)
    if has_role(user, Role.INVESTIGATOR):
        visible |= Q(kind=Report.Kind.MATCH, share_with_submitter=True, item__organisation_id=user.organisation_id)
    return reports.filter(visible)


def sees_reporter(user, report: Report) -> bool:
    """Who filed a report is for curators and the reporting organisation (and, for a shared match
    report, the submitting organisation); never another partner."""
    return has_role(user, Role.CURATOR) or report.organisation_id == user.organisation_id or (
        report.share_with_submitter and report.item.organisation_id == user.organisation_id)


def may_manage_entitlements(user) -> bool:
    """Administrators grant partner organisations feeds and take them back."""
    return has_role(user, Role.ADMINISTRATOR)


# Criteria and the audit log.

def may_publish_criteria(user) -> bool:
    """Administrators publish new versions of the review criteria set."""
    return has_role(user, Role.ADMINISTRATOR)


def may_read_audit_log(user) -> bool:
    """Administrators read (and export) the audit log."""
    return has_role(user, Role.ADMINISTRATOR)
