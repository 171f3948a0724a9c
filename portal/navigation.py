"""Navigation: one table of links, each shown by the named rule its page asks, so pages, landing
panels and tests agree on who sees what."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from accounts import permissions as account_rules
from accounts.models import Role
from curation import permissions as curation_rules


@dataclass(frozen=True)
class Link:
    label: str
    url_name: str
    # The named rule (a permissions module's `may_...`) that decides who sees the link; None: every
    # signed-in user. The page behind it asks the same rule, so a link is never shown for a 403.
    rule: Callable[..., bool] | None = None
    personal: bool = False  # shown beside the user's name rather than in the main navigation
    # Links of a group fold into one menu of that name when someone sees more than FLAT_LIMIT main
    # links (several roles at once), so the top bar stays one line at 1280 px.
    group: str = ""


ADMINISTRATION = "Administration"
FLAT_LIMIT = 9


LINKS: tuple[Link, ...] = (
    Link("Home", "home"),
    Link("Submit", "submission-create", curation_rules.may_submit),
    Link("Submissions", "submission-list", curation_rules.may_list_submissions),
    Link("Held", "held-list", curation_rules.may_decide_held),
    Link("Review queue", "review-queue", curation_rules.may_review),
    Link("My reviews", "review-history", curation_rules.may_review),
    Link("Releases", "release-list", curation_rules.may_see_releases),
    Link("Check", "check", curation_rules.may_match),
    Link("Reports", "report-list", curation_rules.may_see_reports),
    Link("Reviewers", "reviewer-roster", account_rules.may_see_reviewer_roster, group=ADMINISTRATION),
    Link("Criteria", "criteria-admin", curation_rules.may_publish_criteria, group=ADMINISTRATION),
    Link("Entitlements", "entitlements", curation_rules.may_manage_entitlements, group=ADMINISTRATION),
    Link("Users", "admin-users", account_rules.may_manage_accounts, group=ADMINISTRATION),
    Link("Organisations", "admin-organisations", account_rules.may_manage_accounts, group=ADMINISTRATION),
    Link("Requests", "role-requests", account_rules.may_request_two_person_acts, group=ADMINISTRATION),
    Link("Audit log", "audit-log", curation_rules.may_read_audit_log, group=ADMINISTRATION),
    Link("Notices", "notices", personal=True),
    Link("API", "tokens", personal=True),  # tokens, and from there the API docs
    Link("Password", "password-change", personal=True),
)

ROLE_SUMMARIES: dict[str, str] = {
    Role.INVESTIGATOR: "Hash files and submit signatures of known material; follow your organisation's submissions.",
    Role.REVIEWER: "Judge pending items against the severity criteria, independently and blind to other reviews.",
    Role.CURATOR: "Oversee every item, publish signed Baseline releases and retract listed items.",
    Role.PARTNER: "Download the published Baseline lists your organisation is entitled to and verify them.",
    Role.ADMINISTRATOR: "Manage organisations, users, roles, tokens, criteria and entitlements; read the audit log.",
}


def links_for(user) -> list[dict]:
    result = []
    for link in LINKS:
        if link.rule is not None and not link.rule(user):
            continue
        try:
            url = reverse(link.url_name)
        except NoReverseMatch:
            continue  # that page arrives with a later feature
        result.append({"label": link.label, "url": url, "name": link.url_name, "personal": link.personal,
                       "group": link.group})
    return result


def top_bar(links: list[dict]) -> dict:
    """The top bar's parts: main links, folded groups [(name, links)], and the personal links
    (Notices shown; the rest in the account menu). A group folds only when the main links would not
    fit on one line; one role's links always stay in view."""
    main = [link for link in links if not link["personal"]]
    groups: dict[str, list[dict]] = {}
    if len(main) > FLAT_LIMIT:
        for link in main:
            if link["group"]:
                groups.setdefault(link["group"], []).append(link)
        main = [link for link in main if not link["group"]]
    personal = [link for link in links if link["personal"]]
    return {"main": main, "groups": list(groups.items()),
            "shown": [link for link in personal if link["name"] == "notices"],
            "account": [link for link in personal if link["name"] != "notices"]}
