"""Who reaches what: every served route × method × caller, with the exact status expected.

One table (EXPECTED) says, for each URL pattern the resolver serves, what every kind of caller
gets: anonymous, each role, a signed-in user without a role, and the "other organisation"
callers that object visibility is about. A route the resolver serves but the table lacks fails
(`test_every_route_has_an_access_matrix_entry`), so a new endpoint cannot ship without someone
deciding who may reach it; a table row whose route is gone fails too.

Expectations come from DESIGN.md sections 3 and 6: 401 for an anonymous API call, a redirect to
/sign-in/ for an anonymous page, 403 when the role lacks the endpoint or the object is visible but
the action is not allowed, 404 when the object is unknown or invisible (blind review: every review
list of a pending item is a 404). POST bodies are harmless where a valid one would change state
— invalid, or aimed at an object in the wrong state — so 400/409 shows the permission layer let
the caller through and 403/404 shows it did not. Rows marked `unchanged` also check that the audit
log (invariant 6: every state change is audited) did not grow.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from accounts.models import Organisation, Role
from accounts.services import token_create
from core.actors import SYSTEM
from core.models import AuditEntry
from curation.releases.services import feed_grant, release_request
from curation.reports.services import ReportInput, reports_create
from curation.reviews.services import review_record
from tests.curation.helpers import NO_UNDER_13, agree, approved_item, make_item, publish
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]  # tests/conftest.py

# Callers. "pending_reviewer" reviewed the pending item (and not the approved one); "reviewer"
# reviewed the approved item and has the pending one in its queue; "same_org_reviewer" is a reviewer
# from the submitter's organisation; "other_investigator" and "unentitled_partner" belong to other
# organisations than the investigator's and the entitled partner's.
CALLERS = (
    "anon", "investigator", "colleague", "other_investigator", "reviewer", "pending_reviewer",
    "same_org_reviewer", "curator", "partner", "unentitled_partner", "admin", "outsider",
)
GROUPS = {
    "investigators": ("investigator", "colleague", "other_investigator"),
    "reviewers": ("reviewer", "pending_reviewer", "same_org_reviewer"),
    "partners": ("partner", "unentitled_partner"),
}

# An expected answer is a status, or "status /path" when the redirect target matters (the path may
# name the case's parameters: "302 /users/{pk}/").
Expected = int | str
LOGIN = "302 /sign-in/"


@dataclass(frozen=True)
class Row:
    statuses: dict[str, Expected]
    body: dict | None = None
    query: str = ""
    fmt: str = "json"  # API request body format
    unchanged: bool = False  # no caller may change anything: the audit log must not grow


def _row(default: Expected, anon: Expected, body, query, fmt, unchanged, overrides) -> Row:
    statuses = dict.fromkeys(CALLERS, default)
    statuses["anon"] = anon
    for name, value in overrides.items():  # groups first, then single callers override them
        if name in GROUPS:
            statuses.update(dict.fromkeys(GROUPS[name], value))
    for name, value in overrides.items():
        if name not in GROUPS:
            assert name in CALLERS, f"unknown caller {name!r}"
            statuses[name] = value
    return Row(statuses, body, query, fmt, unchanged)


def api_row(default: Expected, *, anon: Expected = 401, body=None, query="", fmt="json", unchanged=False,
            **overrides: Expected) -> Row:
    """An API row: token authentication; anonymous callers get 401 unless stated."""
    return _row(default, anon, body, query, fmt, unchanged, overrides)


def page_row(default: Expected, *, anon: Expected = LOGIN, body=None, query="", unchanged=False,
             **overrides: Expected) -> Row:
    """A browser row: a signed-in session; anonymous callers go to /sign-in/ unless stated."""
    return _row(default, anon, body, query, "form", unchanged, overrides)


# route pattern → "METHOD target" → Row. The target names the object substituted into the pattern
# (World.params): pending / approved / missing items, releases v1 (published), v2 (building), v99.
EXPECTED: dict[str, dict[str, Row]] = {
    # --- REST API ---------------------------------------------------------------------------
    "api/v1/me/": {"GET": api_row(200)},
    # Two-person rule (DESIGN.md section 3): administrators only; reading the list is audited.
    "api/v1/role-requests/": {
        "GET": api_row(403, admin=200),
        "POST": api_row(403, admin=400, body={}, unchanged=True),
    },
    "api/v1/role-requests/<int:pk>/approve/": {
        "GET missing-request": api_row(405),
        "POST missing-request": api_row(403, admin=404, unchanged=True),
    },
    "api/v1/role-requests/<int:pk>/refuse/": {
        "GET missing-request": api_row(405),
        "POST missing-request": api_row(403, admin=404, body={"reason": "no"}, unchanged=True),
    },
    "api/v1/algorithms/": {"GET": api_row(200)},
    "api/v1/criteria/": {"GET": api_row(200)},
    # Matching (DESIGN.md section 9): partners by their feeds (an MD5 needs the standard feed).
    "api/v1/match/": {
        "GET": api_row(403, investigators=405, curator=405, partner=405, unentitled_partner=405),
        "POST": api_row(403, investigators=200, curator=200, partner=200, unentitled_partner=403, unchanged=True,
                        body={"signatures": [{"algorithm": "md5", "value": "0" * 32}]}),
    },
    "api/v1/hash/": {
        "GET": api_row(403, investigators=405),
        "POST": api_row(403, investigators=400, body={}, fmt="multipart", unchanged=True),  # no file
    },
    "api/v1/submissions/": {
        "GET": api_row(403, investigators=200, curator=200),
        "POST": api_row(403, investigators=400, body={}, unchanged=True),
    },
    "api/v1/submissions/<uuid:item_id>/": {
        "GET pending": api_row(404, investigator=200, colleague=200, reviewer=200, pending_reviewer=200,
                               curator=200),
        "GET approved": api_row(404, investigator=200, colleague=200, reviewer=200, curator=200),
        "GET held": api_row(404, investigator=200, colleague=200, curator=200),  # in no reviewer's queue
        "GET missing": api_row(404),
    },
    "api/v1/submissions/<uuid:item_id>/near-duplicates/": {
        # Curators only, before visibility: a reviewer shown a rejected near item would be unblinded.
        "GET pending": api_row(403, curator=200),
        "GET held": api_row(403, curator=200),
        "GET missing": api_row(403, curator=404),
        "POST pending": api_row(405, unchanged=True),
    },
    "api/v1/submissions/<uuid:item_id>/withdraw/": {
        "GET pending": api_row(405),
        # Visible but not the submitter: 403; the submitter of a decided item: 409.
        "POST approved": api_row(404, investigator=409, colleague=403, reviewer=403, curator=403, unchanged=True),
        "POST pending": api_row(404, investigator=200, colleague=403, reviewer=403, pending_reviewer=403,
                                curator=403),
        "POST held": api_row(404, investigator=200, colleague=403, curator=403),
    },
    "api/v1/submissions/<uuid:item_id>/reviews/": {
        "GET pending": api_row(404),  # blind review: nobody, not even its reviewers or curators
        "GET approved": api_row(404, investigator=403, colleague=403, reviewer=200, curator=200),
        # {"answers": {}} passes the serializer and fails the criteria: 400 means "you may review".
        "POST pending": api_row(403, reviewer=400, pending_reviewer=409, body={"answers": {}}, unchanged=True),
        "POST approved": api_row(403, reviewer=409, pending_reviewer=409, body={"answers": {}}, unchanged=True),
        "POST missing": api_row(403, reviewers=404, body={"answers": {}}, unchanged=True),
    },
    "api/v1/submissions/<uuid:item_id>/recuse/": {
        "GET pending": api_row(405),
        "POST pending": api_row(403, reviewer=204, pending_reviewer=409, body={"reason": "other"}),
        "POST approved": api_row(403, reviewer=409, pending_reviewer=409, body={"reason": "other"},
                                 unchanged=True),
    },
    "api/v1/review-queue/": {"GET": api_row(403, reviewers=200)},
    "api/v1/submissions/<uuid:item_id>/retract/": {
        "GET approved": api_row(405),
        "POST approved": api_row(403, curator=400, body={"reason": ""}, unchanged=True),
        "POST pending": api_row(403, curator=409, body={"reason": "duplicate of another entry"}, unchanged=True),
        "POST missing": api_row(403, curator=404, body={"reason": "duplicate of another entry"}, unchanged=True),
    },
    # Curators decide held items; an empty reason (400) shows the caller was let through.
    **{f"api/v1/submissions/<uuid:item_id>/{action}/": {
        "GET held": api_row(405),
        "POST held": api_row(403, curator=400, body={"reason": ""}, unchanged=True),
        "POST pending": api_row(403, curator=409, body={"reason": "checked again"}, unchanged=True),
        "POST missing": api_row(403, curator=404, body={"reason": "checked again"}, unchanged=True),
    } for action in ("sign-off", "refuse")},
    "api/v1/releases/": {
        "GET": api_row(403, curator=200, partners=200),
        "POST": api_row(403, curator=400, body={"note": ["not", "text"]}, unchanged=True),
    },
    "api/v1/reports/": {
        "GET": api_row(403, partners=200, curator=200, investigators=200),
        "POST": api_row(403, partners=400, body={}, unchanged=True),
    },
    "api/v1/reports/<uuid:report_id>/": {
        # The partner's own, shared with the item's submitting organisation; nobody else sees it.
        "GET shared-report": api_row(404, partner=200, curator=200, investigator=200, colleague=200),
        "GET missing-report": api_row(404),
        "POST shared-report": api_row(405, unchanged=True),
    },
    "api/v1/reports/<uuid:report_id>/dismiss/": {
        # Curators only; a match report is not triaged (409).
        "POST shared-report": api_row(403, curator=409, body={"reason": "x"}, unchanged=True),
        "POST missing-report": api_row(403, curator=404, body={"reason": "x"}, unchanged=True),
        "GET shared-report": api_row(405),
    },
    "api/v1/releases/latest/": {"GET": api_row(403, curator=200, partners=200)},
    "api/v1/releases/<int:version>/": {
        "GET v1": api_row(403, curator=200, partners=200),
        "GET v2": api_row(403, curator=200, partners=404),  # building: curators only
        "GET v99": api_row(403, curator=404, partners=404),
    },
    "api/v1/releases/<int:version>/files/<str:file_format>/": {
        "GET v1 csv": api_row(403, curator=200, partner=200),  # standard feed
        "GET v1 photodna": api_row(403, curator=200),  # photodna feed: nobody is entitled
        "GET v1 nonsense": api_row(403, curator=404, partners=404),
        "GET v2 csv": api_row(403, curator=404, partners=404),
    },
    "api/v1/releases/<int:version>/manifest/": {
        "GET v1": api_row(403, curator=200, partners=200),
        "GET v2": api_row(403, curator=404, partners=404),
    },
    "api/v1/releases/<int:version>/signature/": {
        "GET v1": api_row(403, curator=200, partners=200),
        "GET v2": api_row(403, curator=404, partners=404),
    },
    "api/v1/releases/<int:version>/delta/": {
        # The delta holds standard-feed rows: a partner needs that feed. No published version is below 1.
        "GET v1": api_row(403, curator=400, partner=400, query="?since=1"),
    },
    "api/v1/signing-keys/": {"GET": api_row(403, curator=200, partners=200)},
    "api/v1/schema/": {"GET": api_row(200)},
    "api/v1/docs/": {"GET": api_row(200)},
    # --- Django admin: read-only, administrators only (its internals: ADMIN_INTERNALS) ----------
    "django-admin/": {"GET": page_row("302 /django-admin/login/", anon="302 /django-admin/login/", admin=200)},
    # --- Browser pages ------------------------------------------------------------------------
    "": {"GET": page_row(200)},
    "favicon.ico": {"GET": page_row(302, anon=302)},  # to the static SVG, for everyone
    "sign-in/": {
        "GET": page_row("302 /", anon=200),
        "POST": page_row("302 /", anon=200, body={}),  # empty form: shown again
    },
    "two-factor/": {
        "GET": page_row("302 /"),  # test sessions have passed the second factor
        "POST": page_row("302 /", body={"token": ""}),
    },
    "two-factor/set-up/": {
        "GET": page_row(200),
        "POST": page_row(400, body={"token": ""}),
    },
    "sign-out/": {
        "GET": page_row(405, anon=405),
        "POST": page_row(LOGIN, anon=LOGIN, body={}),
    },
    # Every signed-in user changes their own password; differing new passwords are refused before
    # the current one is checked, so nothing is written.
    "password/": {
        "GET": page_row(200),
        "POST": page_row(400, body={"new_password": "a", "new_password_again": "b"}, unchanged=True),
    },
    "tokens/": {
        "GET": page_row(200),
        "POST": page_row(200, body={"days": "soon"}, unchanged=True),
    },
    "tokens/<int:pk>/revoke/": {
        "GET investigator-token": page_row(405),
        "POST investigator-token": page_row(404, investigator="302 /tokens/", admin="302 /tokens/"),
    },
    "submit/": {
        "GET": page_row(403, investigators=200),
        "POST": page_row(403, investigators=400, body={}, unchanged=True),
    },
    "submissions/": {"GET": page_row(403, investigators=200, curator=200)},
    "submissions/<uuid:item_id>/": {
        "GET pending": page_row(404, investigator=200, colleague=200, reviewer=200, pending_reviewer=200,
                                curator=200),
        "GET approved": page_row(404, investigator=200, colleague=200, reviewer=200, curator=200),
        "GET held": page_row(404, investigator=200, colleague=200, curator=200),
    },
    "submissions/<uuid:item_id>/withdraw/": {
        "GET pending": page_row(405),
        # Pages answer a refused action on a visible item with a message and a redirect.
        "POST approved": page_row(404, investigator=302, colleague=302, reviewer=302, curator=302, unchanged=True),
    },
    "submissions/<uuid:item_id>/retract/": {
        "GET approved": page_row(405),
        "POST approved": page_row(404, investigator=403, colleague=403, reviewer=403, curator=302,
                                  body={"reason": ""}, unchanged=True),
    },
    "held/": {"GET": page_row(403, curator=200)},
    "activity/": {"GET": page_row(403, curator=200)},
    "reports/": {"GET": page_row(403, curator=200, partners=200, investigators=200)},
    "reports/<uuid:report_id>/dismiss/": {
        "POST shared-report": page_row(403, curator="302 /reports/", body={"reason": "x"}, unchanged=True),
        "POST missing-report": page_row(403, curator=404, body={"reason": "x"}, unchanged=True),
    },
    **{f"submissions/<uuid:item_id>/{action}/": {
        "GET held": page_row(405),
        "POST held": page_row(403, curator=302, body={"reason": ""}, unchanged=True),
        "POST missing": page_row(403, curator=404, body={"reason": "checked again"}, unchanged=True),
    } for action in ("sign-off", "refuse")},
    "reviews/": {"GET": page_row(403, reviewers=200)},
    "reviews/mine/": {"GET": page_row(403, reviewers=200)},
    # An item the reviewer already reviewed shows what they recorded (200; 409 to a resend); one
    # they never judged and cannot review is 404.
    "reviews/<uuid:item_id>/": {
        "GET pending": page_row(403, reviewer=200, pending_reviewer=200, same_org_reviewer=404),
        "GET approved": page_row(403, reviewer=200, pending_reviewer=404, same_org_reviewer=404),
        "POST pending": page_row(403, reviewer=400, pending_reviewer=409, same_org_reviewer=404, body={},
                                 unchanged=True),
    },
    "reviews/<uuid:item_id>/recuse/": {
        "GET pending": page_row(405),
        "POST pending": page_row(403, reviewer=302, pending_reviewer=404, same_org_reviewer=404,
                                 body={"reason": ""}, unchanged=True),
    },
    "notices/": {
        "GET": page_row(200),
        "POST": page_row("302 /notices/", body={}),
    },
    "criteria/": {
        "GET": page_row(403, admin=200),
        "POST": page_row(403, admin=400, body={"criteria": ""}, unchanged=True),
    },
    "releases/": {"GET": page_row(403, curator=200, partners=200)},
    "releases/publish/": {
        "GET": page_row(405),
        "POST": page_row(403, curator="302 /releases/", body={"note": "x" * 501}, unchanged=True),
    },
    "releases/<int:version>/": {
        "GET v1": page_row(403, curator=200, partners=200),
        "GET v2": page_row(403, curator=200, partners=404),
    },
    "entitlements/": {
        "GET": page_row(403, admin=200),
        "POST": page_row(403, admin="302 /entitlements/", body={}, unchanged=True),
    },
    "check/": {"GET": page_row(403, investigators=200, curator=200, partners=200)},
    "audit/": {"GET": page_row(403, admin=200)},
    "audit/export.csv": {"GET": page_row(403, admin=200)},
    # Administrators' pages. The POSTs are refused by the service (unknown role, a role not held,
    # already active, changing oneself), so they change nothing; a refusal is a message and a redirect.
    "users/": {"GET": page_row(403, admin=200)},
    "users/new/": {
        "GET": page_row(403, admin=200),
        "POST": page_row(403, admin=400, body={}, unchanged=True),  # no organisation chosen
    },
    "users/<int:pk>/": {"GET investigator-user": page_row(403, admin=200)},
    "users/<int:pk>/grant/": {
        "GET investigator-user": page_row(405),
        "POST investigator-user": page_row(403, admin="302 /users/{pk}/", body={"role": "nonsense"}, unchanged=True),
        "POST admin-user": page_row(403, admin="302 /users/{pk}/", body={"role": "curator"}, unchanged=True),
    },
    "users/<int:pk>/revoke/": {
        "GET investigator-user": page_row(405),
        "POST investigator-user": page_row(403, admin="302 /users/{pk}/", body={"role": "curator"}, unchanged=True),
    },
    "users/<int:pk>/active/": {
        "GET investigator-user": page_row(405),
        "POST investigator-user": page_row(403, admin="302 /users/{pk}/", body={"active": "on"}, unchanged=True),
        "POST admin-user": page_row(403, admin="302 /users/{pk}/", body={}, unchanged=True),
    },
    "users/<int:pk>/password/": {  # a new one-time password for someone else; never for oneself
        "GET admin-user": page_row(405),
        "POST admin-user": page_row(403, admin="302 /users/{pk}/", body={}, unchanged=True),
    },
    "users/<int:pk>/reset-two-factor/": {
        "GET admin-user": page_row(405),
        "POST admin-user": page_row(403, admin="302 /users/{pk}/", body={}, unchanged=True),
    },
    "reviewers/": {"GET": page_row(403, admin=200, curator=200)},
    "requests/": {"GET": page_row(403, admin=200)},
    "requests/<int:pk>/approve/": {
        "GET missing-request": page_row(405),
        "POST missing-request": page_row(403, admin=404, unchanged=True),
    },
    "requests/<int:pk>/refuse/": {
        "GET missing-request": page_row(405),
        "POST missing-request": page_row(403, admin=404, body={"reason": "no"}, unchanged=True),
    },
    "operator-acts/<int:pk>/acknowledge/": {
        "GET missing-request": page_row(405),
        "POST missing-request": page_row(403, admin=404, unchanged=True),
    },
    "organisations/": {
        "GET": page_row(403, admin=200),
        "POST": page_row(403, admin=400, body={}, unchanged=True),
    },
    "organisations/<int:pk>/": {
        "GET police": page_row(403, admin=200),
        "GET missing-organisation": page_row(403, admin=404),
        "POST police": page_row(403, admin=400, body={}, unchanged=True),
    },
}

# Django admin internals behind its index: not in the table (the admin site itself is checked by
# "django-admin/" above; each model admin is read-only by ReadOnlyAdmin). Listed so that a newly
# registered model admin, or a new admin view, is noticed here. Only the project's own models are
# registered (accounts/admin_site.py): no auth groups, django-otp devices or django-axes lockouts.
_MODEL_ADMINS = ("accounts/organisation", "accounts/user", "accounts/apitoken", "curation/criteriaset")
ADMIN_INTERNALS = frozenset({
    "django-admin/login/",
    "django-admin/logout/",
    "django-admin/password_change/",
    "django-admin/password_change/done/",
    "django-admin/autocomplete/",
    "django-admin/jsi18n/",
    "django-admin/r/<path:content_type_id>/<path:object_id>/",
    "django-admin/^(?P<app_label>accounts|curation)/$",
    "django-admin/(?P<url>.*)$",
    *(
        f"django-admin/{model}/{suffix}"
        for model in _MODEL_ADMINS
        for suffix in ("", "add/", "<path:object_id>/history/", "<path:object_id>/delete/",
                       "<path:object_id>/change/", "<path:object_id>/")
    ),
})

MISSING_ITEM = uuid.UUID("00000000-0000-4000-8000-000000000000")




def served_routes() -> dict[str, object]:
    """Every URL pattern the resolver serves, as one string (includes flattened), with its callback."""

    def walk(resolver: URLResolver, prefix: str):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern), entry.callback

    return dict(walk(get_resolver(), ""))


def test_every_route_has_an_access_matrix_entry():
    routes = served_routes()
    missing = sorted(set(routes) - EXPECTED.keys() - ADMIN_INTERNALS)
    stale = sorted(EXPECTED.keys() - routes.keys())
    stale_skips = sorted(ADMIN_INTERNALS - routes.keys())
    problems = [f"new endpoint without an access-matrix entry: {r!r}" for r in missing]
    problems += [f"access-matrix entry for a route that no longer exists: {r!r}" for r in stale]
    problems += [f"ADMIN_INTERNALS lists a route that no longer exists: {r!r}" for r in stale_skips]
    # An API view's every method needs a row: a new PUT/DELETE handler must be decided on too.
    for route, callback in routes.items():
        view_class = getattr(callback, "view_class", None)
        if route in EXPECTED and isinstance(view_class, type) and issubclass(view_class, APIView):
            handled = {m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)}
            tabled = {case.split()[0] for case in EXPECTED[route]}
            problems += [f"{route!r} handles {m}; the access matrix has no {m} row" for m in sorted(handled - tabled)]
    assert not problems, "\n".join(problems)


@dataclass
class World:
    """One fixture world: the personas, the extra other-organisation callers and the objects."""

    users: dict
    params: dict[str, dict]
    objects: dict
    _api: object
    _client_class: type
    _clients: dict = field(default_factory=dict)

    def client_for(self, caller: str, *, api: bool):
        key = (caller, api)
        if key not in self._clients:
            user = self.users[caller]
            if api:
                self._clients[key] = self._api(user)
            else:
                client = self._client_class()
                if user is not None:
                    client.force_login(user)
                self._clients[key] = client
        return self._clients[key]


@pytest.fixture
def world(personas, api, client) -> World:
    police = personas.investigator.organisation
    harbour = OrganisationFactory(name="Harbour Police", country="IE")
    quiet = OrganisationFactory(name="Quiet Networks", country="FI", kind=Organisation.Kind.PARTNER)
    users = {
        "anon": None,
        "investigator": personas.investigator,
        "colleague": personas.colleague,
        "other_investigator": UserFactory(username="harbour", organisation=harbour, roles=[Role.INVESTIGATOR]),
        "reviewer": personas.reviewers[0],
        "pending_reviewer": personas.reviewers[3],
        "same_org_reviewer": UserFactory(username="police-reviewer", organisation=police, roles=[Role.REVIEWER]),
        "curator": personas.curator,
        "partner": personas.partner,
        "unentitled_partner": UserFactory(username="quiet", organisation=quiet, roles=[Role.PARTNER]),
        "admin": personas.admin,
        "outsider": personas.outsider,
    }
    approved = approved_item(personas, algorithms=("md5", "sha256", "photodna"))  # reviewers 1-3 agree
    publish(personas.curator)  # release 1 lists it
    release_request(actor=personas.curator)  # release 2: building (its task never runs here)
    pending = agree(make_item(personas.investigator), personas.reviewers[3])  # one agreement so far
    # A rejected item (reviewer2 said no) and its resubmission, held until a curator signs it off.
    rejected = make_item(personas.investigator)
    review_record(actor=personas.reviewers[1], item=rejected, answers=dict(NO_UNDER_13))
    held = make_item(personas.investigator, signatures=[
        {"algorithm": s.algorithm, "value": s.value} for s in rejected.signatures.all()], reason="new evidence")
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="standard")
    shared_report, = reports_create(actor=personas.partner, rows=[ReportInput(
        item_id=str(approved.pk), kind="match", reference="CASE-1", share_with_submitter=True)])
    token, _ = token_create(actor=SYSTEM, user=personas.investigator, name="revoke me")
    params = {
        "": {},
        "pending": {"item_id": pending.pk},
        "approved": {"item_id": approved.pk},
        "held": {"item_id": held.pk},
        "missing": {"item_id": MISSING_ITEM},
        "shared-report": {"report_id": shared_report.pk},
        "missing-report": {"report_id": MISSING_ITEM},
        "v1": {"version": 1},
        "v2": {"version": 2},
        "v99": {"version": 99},
        "v1 csv": {"version": 1, "file_format": "csv"},
        "v1 photodna": {"version": 1, "file_format": "photodna"},
        "v1 nonsense": {"version": 1, "file_format": "nonsense"},
        "v2 csv": {"version": 2, "file_format": "csv"},
        "investigator-token": {"pk": token.pk},
        "investigator-user": {"pk": personas.investigator.pk},
        "admin-user": {"pk": personas.admin.pk},
        "police": {"pk": police.pk},
        "missing-organisation": {"pk": 999_999},
        "missing-request": {"pk": 999_999},
    }
    return World(users=users, params=params, objects={"pending": pending, "approved": approved,
                                                                "rejected": rejected, "held": held}, _api=api,
                 _client_class=type(client))


def url_for(route: str, params: dict) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(params[m.group(1)]), route)


def _is_success(expected: Expected) -> bool:
    return 200 <= int(str(expected).split()[0]) < 300


def _request(world: World, caller: str, route: str, method: str, url: str, row: Row):
    is_api = route.startswith("api/")
    client = world.client_for(caller, api=is_api)
    if method == "GET":
        return client.get(url + row.query)
    if is_api:
        return client.post(url + row.query, row.body, format=row.fmt)
    return client.post(url + row.query, row.body or {})


CASES = [(route, case) for route, cases in EXPECTED.items() for case in cases]


@pytest.mark.parametrize(("route", "case"), CASES, ids=[f"/{route} {case}" for route, case in CASES])
def test_access_matrix(world, route, case):
    row = EXPECTED[route][case]
    method, _, target = case.partition(" ")
    url = url_for(route, world.params[target])
    for caller in CALLERS:  # sign in (and create tokens) before counting audit entries
        world.client_for(caller, api=route.startswith("api/"))
    audit_before = AuditEntry.objects.count()
    # Callers expected to succeed go last, so a successful POST cannot change what the others meet.
    order = sorted(CALLERS, key=lambda caller: method == "POST" and _is_success(row.statuses[caller]))
    problems = []
    for caller in order:
        expected = str(row.statuses[caller]).format(**world.params[target])  # "302 /users/{pk}/"
        response = _request(world, caller, route, method, url, row)
        if response.streaming:  # the test client closes a streamed file once it is read
            b"".join(response.streaming_content)
        location = response.get("Location", "")
        with_path = " " in str(expected)  # "302 /sign-in/": the redirect's target path matters too
        got = f"{response.status_code} {urlsplit(location).path}" if with_path else response.status_code
        if str(got) != str(expected):
            problems.append(f"  {caller:<20} expected {expected}, got {response.status_code} {location}".rstrip())
    assert not problems, f"{method} {url} ({route!r} {case!r}):\n" + "\n".join(problems)
    if row.unchanged:
        added = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True)[audit_before:])
        assert not added, f"{method} {url} should change nothing, but the audit log grew by {added}"


def _ids(response) -> set[str]:
    return {entry["id"] for entry in response.json()["results"]}


def test_lists_show_each_caller_only_what_it_may_reach(world):
    """Statuses alone do not show what a 200 list contains: no list leaks another organisation's items,
    another reviewer's queue or an unpublished release."""
    pending, approved = str(world.objects["pending"].pk), str(world.objects["approved"].pk)
    rejected, held = str(world.objects["rejected"].pk), str(world.objects["held"].pk)
    ours = {pending, approved, rejected, held}
    submissions = {"investigator": ours, "colleague": ours, "other_investigator": set(), "curator": ours}
    for caller, expected in submissions.items():
        api = world.client_for(caller, api=True)
        assert _ids(api.get("/api/v1/submissions/")) == expected, caller
        assert _ids(api.get("/api/v1/submissions/?status=pending")) == expected & {pending}, caller
        assert _ids(api.get("/api/v1/submissions/?status=held")) == expected & {held}, caller
        page = world.client_for(caller, api=False).get("/submissions/").content.decode()
        assert {item for item in ours if item in page} == expected, caller
    # Held items are in nobody's queue.
    queues = {"reviewer": {pending}, "pending_reviewer": set(), "same_org_reviewer": set()}
    for caller, expected in queues.items():
        assert _ids(world.client_for(caller, api=True).get("/api/v1/review-queue/")) == expected, caller
        page = world.client_for(caller, api=False).get("/reviews/").content.decode()
        assert {item for item in ours if item in page} == expected, caller
    held_page = world.client_for("curator", api=False).get("/held/").content.decode()
    assert held in held_page and pending not in held_page and rejected[:8] in held_page  # its earlier item
    full = {"csv", "json", "md5", "sha1", "sha256", "pdq", "vpdq", "threatexchange"}
    standard = full | {f"{f}.gz" for f in full} | {"delta"}  # each full file and its gzip copy
    photodna = {"photodna", "vics", "photodna.gz", "vics.gz"}
    releases_seen = {"curator": ({1, 2}, standard | photodna), "partner": ({1}, standard),
                     "unentitled_partner": ({1}, set())}
    for caller, (versions, formats) in releases_seen.items():
        api = world.client_for(caller, api=True)
        listed = api.get("/api/v1/releases/").json()["results"]
        assert {r["version"] for r in listed} == versions, caller
        files = {f["format"] for f in api.get("/api/v1/releases/1/").json()["files"]}
        assert files == formats, caller
        assert api.get("/api/v1/releases/latest/").json()["version"] == 1, caller
    # Blind review reaches the audit log too: the administrator's export shows no review of the pending item.
    export = world.client_for("admin", api=False).get("/audit/export.csv")
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert any(approved in line and ",review.record," in line for line in lines)  # decided: shown
    assert not [line for line in lines if pending in line and ",review." in line]
