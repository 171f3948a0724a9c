"""Every page's navigation (with its badges) and the development-mode banner."""

from __future__ import annotations

from django.conf import settings

from accounts.permissions import roles_of
from curation.notices.services import unread_count
from curation.permissions import may_review
from curation.reviews.selectors import review_queue_size
from portal.navigation import links_for, top_bar


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    badges = {"notices": unread_count(user)}
    if may_review(user):
        badges["review-queue"] = review_queue_size(user)  # "1,000+" past the cap
    links = links_for(user)
    for link in links:
        link["badge"] = badges.get(link["name"]) or 0
    return {"nav_links": links, "top_bar": top_bar(links), "user_roles": sorted(roles_of(user))}


def banner(request):
    if not settings.BASELINE_REQUIRE_MFA:
        return {"settings_banner": "Development mode: two-factor sign-in is turned off (BASELINE_REQUIRE_MFA=false)."}
    return {}
