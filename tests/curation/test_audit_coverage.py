"""Invariant 6 (DESIGN.md): every state change leaves its audit entry, in the same transaction.
(Here, not in a package's folder: the table spans accounts and every curation package.)

One table: each row sets a scene, makes one change the way a user would (a service, the API or a
browser page) and names the entries the log must gain (action, actor, organisation, object).

"In the same transaction" is tested by crashing: the first attempt of each change is stopped just
after its entry is inserted, as if the process had died there. Only when change and entry share one
transaction does the rollback take the change with it; a change committed on its own would outlive
its missing entry. The second attempt then runs normally and must leave exactly the named entries.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.shortcuts import get_perms

from accounts import requests as account_requests
from accounts import services as accounts
from accounts.models import ApiToken, Organisation, Role, RoleGrant, RoleRequest, User
from core.errors import DomainError
from core.models import AuditEntry
from curation import tasks
from curation.models import CriteriaSet, Download, Feed, Recusal, Release, Review, Signature, SigningKey, Submission
from curation.releases import services as releases
from curation.releases.services import signing_key_register
from curation.reviews import services as reviews
from curation.submissions import services as submissions
from tests.curation.helpers import NO_UNDER_13, YES, agree, approved_item, item_payload, make_item, publish
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


class Crash(BaseException):
    """Raised right after an audit entry is inserted. A BaseException, like a worker being killed,
    so that no `except Exception` in the code under test (a build records its own failures) takes
    it for an ordinary error."""


@contextmanager
def crash_after_entry(action: str) -> Iterator[None]:
    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        # One row's values are the parameters; several rows' (bulk_create's UNNEST) are lists of them.
        values = [v for p in (params or ()) for v in (p if isinstance(p, list | tuple) else [p])]
        if sql.startswith('INSERT INTO "curation_auditentry"') and action in values:
            raise Crash(action)
        return result

    with connection.execute_wrapper(wrapper):
        yield


Entry = tuple[str, User | None, Any]  # action, actor, object (a model instance or (type, id))


@dataclass
class Case:
    action: str  # the entry named by the issue: the attempt crashes just after it is written
    act: Callable[[], object]
    entries: Callable[[], list[Entry]]  # read after the change, when created objects exist
    changed: Callable[[], bool] | None  # None: an event that changes nothing else (signing in or out)


@dataclass
class World:
    personas: Any
    api: Callable
    client: Client
    settings: Any
    tmp_path: Any


def _entry(action: str, actor: User | None, obj: Any) -> tuple:
    object_type, object_id = obj if isinstance(obj, tuple) else (obj._meta.label_lower, obj.pk)
    return (action, actor.pk if actor else None, actor.organisation_id if actor else None, object_type, str(object_id))


def _logged_since(seq: int) -> list[tuple]:
    rows = AuditEntry.objects.filter(seq__gt=seq).order_by("seq")
    return [(e.action, e.actor_id, e.organisation_id, e.object_type, e.object_id) for e in rows]


def _head() -> int:
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _status(item: Submission, status: str) -> Callable[[], bool]:
    return lambda: Submission.objects.filter(pk=item.pk, status=status).exists()


# --- submissions and reviews ---------------------------------------------------------------------

def submission_create(w: World) -> Case:
    payload = item_payload(external_reference="ICSE-AUDIT-1")
    created = Submission.objects.filter(external_reference="ICSE-AUDIT-1")
    return Case("submission.create",
                lambda: submissions.submission_create(actor=w.personas.investigator,
                                                      item=submissions.ItemInput(**payload)),
                lambda: [("submission.create", w.personas.investigator, created.get())],
                created.exists)


def submission_withdraw(w: World) -> Case:
    item = make_item(w.personas.investigator)
    return Case("submission.withdraw",
                lambda: submissions.submission_withdraw(actor=w.personas.investigator, item=item),
                lambda: [("submission.withdraw", w.personas.investigator, item)],
                _status(item, "withdrawn"))


def review_record(w: World) -> Case:
    item, reviewer = make_item(w.personas.investigator), w.personas.reviewer
    return Case("review.record",
                lambda: reviews.review_record(actor=reviewer, item=item, answers=dict(YES)),
                lambda: [("review.record", reviewer, item)],
                Review.objects.filter(submission=item, reviewer=reviewer).exists)


def review_approves(w: World) -> Case:
    reviewers = w.personas.reviewers
    item = agree(make_item(w.personas.investigator), *reviewers[:2])
    return Case("submission.approve",
                lambda: reviews.review_record(actor=reviewers[2], item=item, answers=dict(YES)),
                lambda: [("review.record", reviewers[2], item), ("submission.approve", None, item)],
                _status(item, "approved"))


def review_rejects(w: World) -> Case:
    item, reviewer = make_item(w.personas.investigator), w.personas.reviewer
    return Case("submission.reject",
                lambda: reviews.review_record(actor=reviewer, item=item, answers=dict(NO_UNDER_13)),
                lambda: [("review.record", reviewer, item), ("submission.reject", None, item)],
                _status(item, "rejected"))


def _rejected(w: World) -> Submission:
    item = make_item(w.personas.investigator)
    reviews.review_record(actor=w.personas.reviewer, item=item, answers=dict(NO_UNDER_13))
    return item


def _again(item: Submission, reason: str = "") -> submissions.ItemInput:
    signatures = [{"algorithm": s.algorithm, "value": s.value} for s in item.signatures.all()]
    return submissions.ItemInput(media_type="image", external_reference="ICSE-AGAIN", reason=reason,
                                 signatures=signatures)


def submission_hold(w: World) -> Case:
    again = _again(_rejected(w), reason="New evidence.")
    created = Submission.objects.filter(external_reference="ICSE-AGAIN")
    return Case("submission.hold",
                lambda: submissions.submission_create(actor=w.personas.investigator, item=again),
                lambda: [("submission.create", w.personas.investigator, created.get()),
                         ("submission.hold", w.personas.investigator, created.get())],
                created.filter(status="held").exists)


def _held(w: World) -> Submission:
    return submissions.submission_create(actor=w.personas.investigator, item=_again(_rejected(w), "New evidence."))


def held_sign_off(w: World) -> Case:
    item = _held(w)
    return Case("submission.sign_off",
                lambda: submissions.submission_sign_off(actor=w.personas.curator, item=item, reason="Checked."),
                lambda: [("submission.sign_off", w.personas.curator, item)],
                _status(item, "pending"))


def held_refuse(w: World) -> Case:
    item = _held(w)
    return Case("submission.refuse",
                lambda: submissions.submission_refuse(actor=w.personas.curator, item=item, reason="Nothing new."),
                lambda: [("submission.refuse", w.personas.curator, item)],
                _status(item, "withdrawn"))


def review_recuse(w: World) -> Case:
    item, reviewer = make_item(w.personas.investigator), w.personas.reviewer
    return Case("review.recuse",
                lambda: reviews.review_recuse(actor=reviewer, item=item, reason="conflict_of_interest"),
                lambda: [("review.recuse", reviewer, item)],
                Recusal.objects.filter(submission=item, reviewer=reviewer).exists)


def item_retract(w: World) -> Case:
    item = approved_item(w.personas)
    return Case("submission.retract",
                lambda: submissions.item_retract(actor=w.personas.curator, item=item, reason="Wrong material."),
                lambda: [("submission.retract", w.personas.curator, item)],
                _status(item, "retracted"))


def criteria_publish(w: World) -> Case:
    criteria = [("real_child", "A real child is depicted?"), ("under_10", "The child appears to be under 10?")]
    approver, approve = _approval(w, "criteria_publish", {"criteria": [list(pair) for pair in criteria]})
    return Case("criteria.publish", approve,
                lambda: [("criteria.publish", approver, CriteriaSet.objects.get(version=2)),
                         _approved(approver, "criteria_publish")],
                CriteriaSet.objects.filter(version=2, is_active=True).exists)


# --- entitlements, releases and downloads --------------------------------------------------------

def _entitled(organisation: Organisation, feed: str) -> Callable[[], bool]:
    def entitled() -> bool:
        group = Organisation.objects.get(pk=organisation.pk).group
        return group is not None and "download_feed" in get_perms(group, Feed.objects.get(name=feed))

    return entitled


def _fresh(org: Organisation) -> Organisation:
    """As a request loads it: the service sets the organisation's group on the instance it is given."""
    return Organisation.objects.get(pk=org.pk)


def feed_grant(w: World) -> Case:
    org = w.personas.partner.organisation
    return Case("feed.grant",
                lambda: releases.feed_grant(actor=w.personas.admin, organisation=_fresh(org), feed_name="photodna"),
                lambda: [("feed.grant", w.personas.admin, org)],
                _entitled(org, "photodna"))


def feed_revoke(w: World) -> Case:
    org = w.personas.partner.organisation
    releases.feed_grant(actor=w.personas.admin, organisation=org, feed_name="photodna")
    entitled = _entitled(org, "photodna")
    return Case("feed.revoke",
                lambda: releases.feed_grant(actor=w.personas.admin, organisation=_fresh(org), feed_name="photodna",
                                            revoke=True),
                lambda: [("feed.revoke", w.personas.admin, org)],
                lambda: not entitled())


def release_request(w: World) -> Case:
    return Case("release.request",
                lambda: releases.release_request(actor=w.personas.curator, note="Monthly."),
                lambda: [("release.request", w.personas.curator, Release.objects.get(version=1))],
                Release.objects.filter(version=1, status="building").exists)


def release_publish(w: World) -> Case:
    approved_item(w.personas)
    signing_key_register()  # registered already: its activation is a row of its own
    release = releases.release_request(actor=w.personas.curator)
    return Case("release.publish",
                lambda: tasks.release_build(release.pk),
                lambda: [("release.publish", None, release)],
                Release.objects.filter(pk=release.pk, status="published").exists)


def release_fail(w: World) -> Case:
    # A real failure: the export storage's directory is a file, so the first file cannot be written.
    blocker = w.tmp_path / "not-a-directory"
    blocker.write_text("a file where the export directory should be")
    storages = w.settings.STORAGES
    w.settings.STORAGES = {**storages, "exports": {**storages["exports"], "OPTIONS": {"location": str(blocker)}}}
    release = releases.release_request(actor=w.personas.curator)
    return Case("release.fail",
                lambda: tasks.release_build(release.pk),
                lambda: [("release.fail", None, release)],
                Release.objects.filter(pk=release.pk, status="failed").exists)


def signing_key_activate(w: World) -> Case:
    SigningKey.objects.update(active=False)  # as after a rotation: the key in the file is new
    return Case("signing_key.activate",
                signing_key_register,
                lambda: [("signing_key.activate", None, SigningKey.objects.get(active=True))],
                SigningKey.objects.filter(active=True).exists)


def _published_for_partner(w: World) -> Release:
    approved_item(w.personas)
    release = publish(w.personas.curator)
    releases.feed_grant(actor=w.personas.admin, organisation=w.personas.partner.organisation, feed_name="standard")
    return release


def _download(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, response
    b"".join(response.streaming_content)  # the test client closes the response once it is read


def download_api(w: World) -> Case:
    release, partner = _published_for_partner(w), w.personas.partner
    api = w.api(partner)
    return Case("release.download",
                lambda: _download(api, "/api/v1/releases/1/files/md5/"),
                lambda: [("release.download", partner, release)],
                Download.objects.filter(user=partner, release=release, file="md5").exists)


def download_browser(w: World) -> Case:
    release, partner = _published_for_partner(w), w.personas.partner
    w.client.force_login(partner)
    assert b"/api/v1/releases/1/files/csv/" in w.client.get("/releases/1/").content  # the page's link
    return Case("release.download",
                lambda: _download(w.client, "/api/v1/releases/1/files/csv/"),
                lambda: [("release.download", partner, release)],
                Download.objects.filter(user=partner, release=release, file="csv").exists)


# --- signing in and out --------------------------------------------------------------------------

def sign_in(w: World) -> Case:
    client, curator = Client(), w.personas.curator
    return Case("auth.sign_in",
                lambda: client.post("/sign-in/", {"username": "curator", "password": PASSWORD}),
                lambda: [("auth.sign_in", curator, curator)],
                None)


def sign_in_failed(w: World) -> Case:
    client = Client()
    return Case("auth.sign_in_failed",
                lambda: client.post("/sign-in/", {"username": "curator", "password": "not the password"}),
                lambda: [("auth.sign_in_failed", None, ("accounts.user", "curator"))],
                None)


def sign_out(w: World) -> Case:
    curator = w.personas.curator
    w.client.force_login(curator)
    return Case("auth.sign_out",
                lambda: w.client.post("/sign-out/"),
                lambda: [("auth.sign_out", curator, curator)],
                None)


# --- accounts ------------------------------------------------------------------------------------

def role_grant(w: World) -> Case:
    user = w.personas.outsider
    return Case("role.grant",
                lambda: accounts.role_grant(actor=w.personas.admin, user=user, role=Role.INVESTIGATOR,
                                            reason="Joined the unit."),
                lambda: [("role.grant", w.personas.admin, user)],
                RoleGrant.objects.filter(user=user, role=Role.INVESTIGATOR).exists)


def role_revoke(w: World) -> Case:
    user = w.personas.colleague
    return Case("role.revoke",
                lambda: accounts.role_revoke(actor=w.personas.admin, user=user, role=Role.INVESTIGATOR,
                                             reason="Left the unit."),
                lambda: [("role.revoke", w.personas.admin, user)],
                lambda: not RoleGrant.objects.filter(user=user, role=Role.INVESTIGATOR).exists())


def token_create(w: World) -> Case:
    curator = w.personas.curator
    return Case("token.create",
                lambda: accounts.token_create(actor=curator, user=curator, name="laptop"),
                lambda: [("token.create", curator, ApiToken.objects.get(user=curator, name="laptop"))],
                ApiToken.objects.filter(user=curator, name="laptop").exists)


def token_revoke(w: World) -> Case:
    curator = w.personas.curator
    token, _ = accounts.token_create(actor=curator, user=curator, name="laptop")
    return Case("token.revoke",
                lambda: accounts.token_revoke(actor=curator, token=token),
                lambda: [("token.revoke", curator, token)],
                ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=False).exists)


def mfa_enrol(w: World) -> Case:
    client, curator = Client(), w.personas.curator  # signed in, no second factor yet
    client.force_login(curator)
    client.get("/two-factor/set-up/")
    device = TOTPDevice.objects.get(user=curator, confirmed=False)
    # A code is good once: the attempt after a crash uses the next time step's code.
    offsets = itertools.count()

    def enrol():
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=next(offsets))
        response = client.post("/two-factor/set-up/", {"token": f"{code:06d}"})
        assert response.status_code == 200, response.content

    return Case("mfa.enrol", enrol, lambda: [("mfa.enrol", curator, curator)],
                TOTPDevice.objects.filter(user=curator, confirmed=True).exists)


def _approver() -> User:
    """An administrator of another organisation, from the operator: may approve the admin's requests."""
    board = Organisation.objects.create(name="Oversight Board", country="BE", kind="secretariat")
    return UserFactory(username="admin2", organisation=board, roles=[Role.ADMINISTRATOR])


def _approval(w: World, kind: str, payload: dict) -> tuple[User, Callable]:
    """A two-person act: the admin's request, and its approval (which performs the act) as the act."""
    approver = _approver()
    request = account_requests.role_request_create(actor=w.personas.admin, kind=kind, payload=payload)
    return approver, lambda: account_requests.role_request_approve(actor=approver, request_id=request.pk)


def _approved(approver: User, request_kind: str) -> tuple:
    return ("role_request.approve", approver, RoleRequest.objects.get(kind=request_kind))


def mfa_reset(w: World) -> Case:
    curator = w.personas.curator
    TOTPDevice.objects.create(user=curator, name="phone", confirmed=True)
    approver, approve = _approval(w, "mfa_reset", {"user_id": curator.pk})
    return Case("mfa.reset", approve,
                lambda: [("mfa.reset", approver, curator), _approved(approver, "mfa_reset")],
                lambda: not TOTPDevice.objects.filter(user=curator).exists())


def role_request_create(w: World) -> Case:
    user = w.personas.outsider
    created = RoleRequest.objects.filter(kind="role_grant")
    return Case("role_request.create",
                lambda: account_requests.role_request_create(
                    actor=w.personas.admin, kind="role_grant",
                    payload={"user_id": user.pk, "role": "curator", "reason": "Trained."}),
                lambda: [("role_request.create", w.personas.admin, created.get())],
                created.exists)


def role_request_refuse(w: World) -> Case:
    approver = _approver()
    request = account_requests.role_request_create(actor=w.personas.admin, kind="organisation_create",
                                                   payload={"name": "Nordic", "country": "NO", "kind": "hotline"})
    return Case("role_request.refuse",
                lambda: account_requests.role_request_refuse(actor=approver, request_id=request.pk,
                                                             reason="Not a member."),
                lambda: [("role_request.refuse", approver, request)],
                RoleRequest.objects.filter(pk=request.pk, status="refused").exists)


def password_change(w: World) -> Case:
    user, new = w.personas.investigator, "a new and longer passphrase 4821"
    return Case("user.password_change",
                lambda: accounts.user_password_change(actor=user, user=user, current_password=PASSWORD,
                                                      new_password=new),
                lambda: [("user.password_change", user, user)],
                lambda: User.objects.get(pk=user.pk).check_password(new))


def user_create(w: World) -> Case:
    org = w.personas.investigator.organisation
    created = User.objects.filter(username="newcomer")
    approver, approve = _approval(w, "user_create", {"username": "newcomer", "organisation_id": org.pk,
                                                     "roles": [Role.INVESTIGATOR]})
    return Case("user.create", approve,
                lambda: [("user.create", approver, created.get()), ("role.grant", approver, created.get()),
                         _approved(approver, "user_create")],
                created.exists)


def user_deactivate(w: World) -> Case:
    user = w.personas.outsider
    return Case("user.deactivate",
                lambda: accounts.user_set_active(actor=w.personas.admin, user=user, active=False, reason="Left."),
                lambda: [("user.deactivate", w.personas.admin, user)],
                User.objects.filter(pk=user.pk, is_active=False).exists)


def organisation_create(w: World) -> Case:
    created = Organisation.objects.filter(name="Nordic Hotline")
    approver, approve = _approval(w, "organisation_create", {"name": "Nordic Hotline", "country": "NO",
                                                             "kind": "hotline"})
    return Case("organisation.create", approve,
                lambda: [("organisation.create", approver, created.get()), _approved(approver, "organisation_create")],
                created.exists)


def organisation_deactivate(w: World) -> Case:
    org = w.personas.outsider.organisation
    return Case("organisation.deactivate",
                lambda: accounts.organisation_set_active(actor=w.personas.admin, organisation=org, active=False,
                                                         reason="Left the network."),
                lambda: [("organisation.deactivate", w.personas.admin, org)],
                Organisation.objects.filter(pk=org.pk, is_active=False).exists)


STATE_CHANGES: dict[str, Callable[[World], Case]] = {
    "submission create": submission_create,
    "submission withdraw": submission_withdraw,
    "held resubmission": submission_hold,
    "held sign-off": held_sign_off,
    "held refusal": held_refuse,
    "review record": review_record,
    "review decides: approve": review_approves,
    "review decides: reject": review_rejects,
    "recusal": review_recuse,
    "retraction": item_retract,
    "criteria publish": criteria_publish,
    "feed grant": feed_grant,
    "feed revoke": feed_revoke,
    "release request": release_request,
    "build publication": release_publish,
    "build failure": release_fail,
    "download (API)": download_api,
    "download (browser page)": download_browser,
    "sign-in": sign_in,
    "sign-in failure": sign_in_failed,
    "sign-out": sign_out,
    "role grant": role_grant,
    "role revoke": role_revoke,
    "token create": token_create,
    "token revoke": token_revoke,
    "MFA enrolment": mfa_enrol,
    "MFA reset": mfa_reset,
    "password change": password_change,
    "user create": user_create,
    "user deactivate": user_deactivate,
    "organisation create": organisation_create,
    "role request create": role_request_create,
    "role request refuse": role_request_refuse,
    "organisation deactivate": organisation_deactivate,
    "signing key activation": signing_key_activate,
}


@pytest.mark.parametrize("name", STATE_CHANGES)
def test_every_state_change_writes_its_audit_entry_in_the_same_transaction(
    name, personas, api, client, settings, tmp_path
):
    case = STATE_CHANGES[name](World(personas, api, client, settings, tmp_path))

    if case.changed is not None:
        assert not case.changed()
        start = _head()
        with crash_after_entry(case.action), pytest.raises(Crash):
            case.act()
        assert not case.changed(), f"{name}: the change outlived its entry's rollback (separate transactions)"
        assert _logged_since(start) == [], f"{name}: an entry was committed before the change's transaction ended"

    start = _head()
    case.act()
    assert case.changed is None or case.changed(), f"{name}: the change was not made"
    assert _logged_since(start) == [_entry(*entry) for entry in case.entries()]


# --- a refused change writes nothing -------------------------------------------------------------

def _rows() -> dict[str, list[dict]]:
    """Every row of every table a refused call could touch, field by field."""
    models = [AuditEntry, Submission, Signature, Review, Recusal, Release, CriteriaSet, RoleGrant, ApiToken,
              User, Organisation, RoleRequest]
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}


def _review_by_own_organisation(p, item) -> Callable:
    local = UserFactory(username="local-reviewer", organisation=p.investigator.organisation, roles=[Role.REVIEWER])
    return lambda: reviews.review_record(actor=local, item=item, answers=dict(YES))


def _second_review(p, item) -> Callable:
    reviews.review_record(actor=p.reviewer, item=item, answers=dict(YES))
    return lambda: reviews.review_record(actor=p.reviewer, item=item, answers=dict(NO_UNDER_13))


def _review_missing_an_answer(p, item) -> Callable:
    return lambda: reviews.review_record(actor=p.reviewer, item=item, answers={"real_child": True, "under_13": True})


def _duplicate_submission(p, item) -> Callable:
    signatures = [{"algorithm": s.algorithm, "value": s.value} for s in item.signatures.all()]
    again = submissions.ItemInput(media_type="image", external_reference="ICSE-DUP", signatures=signatures)
    return lambda: submissions.submission_create(actor=p.colleague, item=again)


def _resubmission_without_a_reason(p, item) -> Callable:
    reviews.review_record(actor=p.reviewer, item=item, answers=dict(NO_UNDER_13))
    signatures = [{"algorithm": s.algorithm, "value": s.value} for s in item.signatures.all()]
    again = submissions.ItemInput(media_type="image", external_reference="ICSE-AGAIN", signatures=signatures)
    return lambda: submissions.submission_create(actor=p.colleague, item=again)


def _sign_off_of_a_pending_item(p, item) -> Callable:
    return lambda: submissions.submission_sign_off(actor=p.curator, item=item, reason="Checked.")


def _withdrawal_by_a_colleague(p, item) -> Callable:
    return lambda: submissions.submission_withdraw(actor=p.colleague, item=item)


def _retraction_of_a_pending_item(p, item) -> Callable:
    return lambda: submissions.item_retract(actor=p.curator, item=item, reason="Wrong material.")


def _reviewer_made_administrator(p, item) -> Callable:
    return lambda: accounts.role_grant(actor=p.admin, user=p.reviewer, role=Role.ADMINISTRATOR, reason="Needed.")


def _reviewer_made_administrator_by_request(p, item) -> Callable:
    return lambda: account_requests.role_request_create(
        actor=p.admin, kind="role_grant", payload={"user_id": p.reviewer.pk, "role": "administrator", "reason": "x"})


def _user_under_a_taken_name(p, item) -> Callable:
    return lambda: account_requests.role_request_create(
        actor=p.admin, kind="user_create",
        payload={"username": "Curator", "organisation_id": p.curator.organisation_id, "roles": [Role.INVESTIGATOR]})


def _curator_granted_by_one_administrator(p, item) -> Callable:
    return lambda: accounts.role_grant(actor=p.admin, user=p.outsider, role=Role.CURATOR, reason="Alone.")


def _own_request_approved(p, item) -> Callable:
    request = account_requests.role_request_create(
        actor=p.admin, kind="role_grant", payload={"user_id": p.outsider.pk, "role": "curator", "reason": "x"})
    return lambda: account_requests.role_request_approve(actor=p.admin, request_id=request.pk)


def _second_build(p, item) -> Callable:
    releases.release_request(actor=p.curator)
    return lambda: releases.release_request(actor=p.curator)


REFUSALS: dict[str, tuple[str, Callable]] = {  # name: (error code, scene → the refused call)
    "review by the submitter's organisation": ("own_organisation", _review_by_own_organisation),
    "second review by one reviewer": ("already_reviewed", _second_review),
    "review with an answer missing": ("invalid", _review_missing_an_answer),
    "duplicate submission": ("duplicate", _duplicate_submission),
    "withdrawal by someone else": ("forbidden", _withdrawal_by_a_colleague),
    "resubmission of a rejected signature without a reason": ("reason_required", _resubmission_without_a_reason),
    "sign-off of a pending item": ("not_held", _sign_off_of_a_pending_item),
    "retraction of a pending item": ("not_approved", _retraction_of_a_pending_item),
    "reviewer made administrator": ("role_conflict", _reviewer_made_administrator),
    "reviewer made administrator, asked for": ("role_conflict", _reviewer_made_administrator_by_request),
    "curator granted by one administrator": ("needs_approval", _curator_granted_by_one_administrator),
    "own request approved": ("not_eligible", _own_request_approved),
    "user under a taken name": ("exists", _user_under_a_taken_name),
    "second build while one runs": ("build_running", _second_build),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_a_refused_change_leaves_no_audit_entry_and_no_partial_write(name, personas):
    code, scene = REFUSALS[name]
    refused = scene(personas, make_item(personas.investigator))
    before = _rows()
    with pytest.raises(DomainError) as refusal:
        refused()
    assert refusal.value.code == code, refusal.value.message
    assert _rows() == before
