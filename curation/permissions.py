"""The one module that answers "may this user see or do this" for items, reviews and releases.

Visibility is a query rule: `submissions_visible_to(user)` is the only way views find an item, so
an invisible item is a 404 everywhere. Actions on a visible item are then checked here (403).
"""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Role
from accounts.permissions import has_role, roles_of
from curation.models import Submission


def may_list_submissions(user) -> bool:
    return bool(roles_of(user) & {Role.INVESTIGATOR, Role.CURATOR})


def may_submit(user) -> bool:
    return has_role(user, Role.INVESTIGATOR)


def submissions_visible_to(user) -> QuerySet[Submission]:
    """Curators see every item; investigators their organisation's. Reviewers are added by the
    review feature (items queued for them or that they reviewed)."""
    roles = roles_of(user)
    items = Submission.objects.all()
    if Role.CURATOR in roles:
        return items
    if Role.INVESTIGATOR in roles:
        return items.filter(organisation_id=user.organisation_id)
    return items.none()


def withdraw_refusal(user, item: Submission) -> str | None:
    """Why `user` may not withdraw `item` (None: allowed). Status is checked under lock later."""
    if item.submitter_id != user.pk or not has_role(user, Role.INVESTIGATOR):
        return "Only the investigator who submitted an item can withdraw it."
    return None
