from accounts.navigation import links_for
from accounts.permissions import roles_of


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from curation import notices, selectors  # curation builds on accounts, not the reverse
    from curation.permissions import may_review

    badges = {"notices": notices.unread_count(user)}
    if may_review(user):
        badges["review-queue"] = selectors.review_queue_for(user).count()
    links = links_for(user)
    for link in links:
        link["badge"] = badges.get(link["name"]) or 0
    return {"nav_links": links, "user_roles": sorted(roles_of(user))}


def banner(request):
    from django.conf import settings

    if not settings.BASELINE_REQUIRE_MFA:
        return {"settings_banner": "Development mode: two-factor sign-in is turned off (BASELINE_REQUIRE_MFA=false)."}
    return {}
