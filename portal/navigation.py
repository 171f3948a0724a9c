"""Navigation by role: one table, so pages, landing panels and tests agree on who sees what."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from accounts.models import Role
from accounts.permissions import roles_of


@dataclass(frozen=True)
class Link:
    label: str
    url_name: str
    roles: tuple[str, ...]  # empty: every signed-in user
    personal: bool = False  # shown beside the user's name rather than in the main navigation


LINKS: tuple[Link, ...] = (
    Link("Home", "home", ()),
    Link("Submit", "submission-create", (Role.INVESTIGATOR,)),
    Link("Submissions", "submission-list", (Role.INVESTIGATOR, Role.CURATOR)),
    Link("Review queue", "review-queue", (Role.REVIEWER,)),
    Link("Releases", "release-list", (Role.CURATOR, Role.PARTNER)),
    Link("Reviewers", "reviewer-roster", (Role.ADMINISTRATOR, Role.CURATOR)),
    Link("Criteria", "criteria-admin", (Role.ADMINISTRATOR,)),
    Link("Entitlements", "entitlements", (Role.ADMINISTRATOR,)),
    Link("Users", "admin-users", (Role.ADMINISTRATOR,)),
    Link("Organisations", "admin-organisations", (Role.ADMINISTRATOR,)),
    Link("Audit log", "audit-log", (Role.ADMINISTRATOR,)),
    Link("Notices", "notices", (), personal=True),
    Link("API", "tokens", (), personal=True),  # tokens, and from there the API docs
    Link("Password", "password-change", (), personal=True),
)

ROLE_SUMMARIES: dict[str, str] = {
    Role.INVESTIGATOR: "Hash files and submit signatures of known material; follow your organisation's submissions.",
    Role.REVIEWER: "Judge pending items against the severity criteria, independently and blind to other reviews.",
    Role.CURATOR: "Oversee every item, publish signed Baseline releases and retract listed items.",
    Role.PARTNER: "Download the published Baseline lists your organisation is entitled to and verify them.",
    Role.ADMINISTRATOR: "Manage organisations, users, roles, tokens, criteria and entitlements; read the audit log.",
}


def links_for(user) -> list[dict]:
    roles = roles_of(user)
    result = []
    for link in LINKS:
        if link.roles and not roles.intersection(link.roles):
            continue
        try:
            url = reverse(link.url_name)
        except NoReverseMatch:
            continue  # that page arrives with a later feature
        result.append({"label": link.label, "url": url, "name": link.url_name, "personal": link.personal})
    return result
