"""Fuzzing: the served OpenAPI schema through schemathesis, and hypothesis on every parser of user input.

Invariant 8 (DESIGN.md): bad input gets a 4xx and changes nothing, never a 500. Schemathesis
generates requests from the schema the service itself serves (fetched through WSGI with a real
API token, as a client would) and checks that no answer is a server error and that documented
responses match their schema. The hypothesis tests below cover the parsers schemathesis cannot
reach: settings from the environment, the Authorization header, query and form fields.

Bounded and reproducible: `derandomize=True` (the same examples on every run), few examples per
operation, no deadline (the first request of a run builds the schema).
"""

from __future__ import annotations

import os
import string
from pathlib import Path
from unittest import mock

import pytest
import schemathesis
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.models import ApiToken, Role
from accounts.permissions import has_role
from accounts.services import token_create
from config import env
from core.actors import SYSTEM
from curation.models import Download, Release, ReleaseFile
from curation.releases.services import feed_grant
from curation.reviews import workflow
from tests.curation.helpers import agree, approved_item, fake, make_item, publish
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]  # tests/conftest.py

FUZZ = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
PARSER = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))




# --- schemathesis against the served schema --------------------------------------------------

@pytest.fixture
def wsgi_app():
    """The real WSGI application. Like Django's test client, keep a request from closing the
    database connection the test's transaction lives on (close_old_connections)."""
    from config.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["curator", "investigator", "reviewer", "partner"])
def fuzz_token(request, personas) -> str:
    """A real token of the role under test, in a world with something to find: a published release
    (version 1, every file) the partner's organisation is entitled to the standard feed of, a
    pending item with one review, the caller's own items."""
    approved_item(personas, algorithms=("md5", "sha256", "pdq", "photodna"))
    publish(personas.curator)
    feed_grant(actor=SYSTEM, organisation=personas.partner.organisation, feed_name="standard")
    agree(make_item(personas.investigator), personas.reviewers[3])
    _, key = token_create(actor=SYSTEM, user=getattr(personas, request.param), name="fuzz")
    return key


def _served_schema(app, token: str):
    """The schema as served at /api/v1/schema/ to a signed-in caller (it is not public)."""
    headers = {"Authorization": f"Token {token}"}
    return schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", app, headers=headers)


# Operations whose documented 200 response is not what the API returns (drf-spectacular describes
# these APIViews wrongly): the response shape is not checked for them until the schema is fixed;
# server errors still are.
SCHEMA_DOES_NOT_DESCRIBE_THE_RESPONSE: dict[str, str] = {}


def _cases(operation, mode):
    """The operation's generated cases; for a release's paths, also cases naming release 1 and each
    of its files (generated integers and slugs almost never do), so that downloads really happen."""
    strategy = operation.as_strategy(generation_mode=mode)
    if mode is not schemathesis.GenerationMode.POSITIVE or "{version}" not in operation.path:
        return strategy
    # The gzip copies are left out: they would crowd the few examples a run draws, and their
    # download path is the same view (tests/curation/releases/test_releases.py fetches them).
    formats = ReleaseFile.objects.filter(release__version=1).exclude(format__endswith=".gz").values_list(
        "format", flat=True)
    real = [{"version": 1, "file_format": f} if "{file_format}" in operation.path else {"version": 1}
            for f in sorted(formats)]
    return st.one_of(strategy, *(operation.as_strategy(generation_mode=mode, path_parameters=p) for p in real))


def _fuzz(operation, mode, headers: dict) -> str | None:
    """Run one operation's generated cases; the failure (with schemathesis's reproduction) or None."""
    checks = [not_a_server_error]
    if operation.label not in SCHEMA_DOES_NOT_DESCRIBE_THE_RESPONSE:
        checks.append(response_schema_conformance)

    @FUZZ
    @given(case=_cases(operation, mode))
    def run(case):
        case.call_and_validate(headers=headers, checks=checks)

    try:
        run()
    except Unsatisfiable:
        if mode is not schemathesis.GenerationMode.NEGATIVE:
            raise
        return None  # no parameters and no body: there is nothing to send wrong
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a FailureGroup (a BaseExceptionGroup)
        return f"{operation.label} [{mode.value}]: {exc}"
    return None


def test_the_api_never_answers_with_a_server_error(wsgi_app, fuzz_token):
    """schemathesis.pytest.from_fixture() would load the schema per test, but it needs pytest's
    `_nodeid`, which pytest 9.2 no longer has; so each operation of the served schema runs here."""
    schema = _served_schema(wsgi_app, fuzz_token)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20, [op.label for op in operations]
    headers = {"Authorization": f"Token {fuzz_token}"}
    failures = [
        failure
        for operation in operations
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
        if (failure := _fuzz(operation, mode, headers)) is not None
    ]
    assert not failures, "\n\n".join(failures)
    # The download paths were reached, and a partner got only its organisation's feed.
    caller = ApiToken.objects.get(name="fuzz").user
    downloaded = set(Download.objects.filter(user=caller).values_list("file", flat=True))
    if has_role(caller, Role.PARTNER):
        assert {"manifest", "signature", "csv", "md5"} <= downloaded and not downloaded & {"photodna", "vics"}
    if has_role(caller, Role.CURATOR):
        assert {"manifest", "signature", "csv", "photodna", "vics"} <= downloaded


# --- settings from the environment ------------------------------------------------------------

# What a deployment could put in DATABASE_URL: free text, and text after each scheme the parser knows.
SCHEMES = ["postgres://", "postgresql://", "pgsql://", "sqlite:", "sqlite://", "sqlite:///", "sqlite:////", "mysql://"]
URL_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"))
URL_TAIL = st.text(alphabet=string.ascii_letters + string.digits + ":/@[]%.?#-_ ")
DATABASE_URLS = st.one_of(URL_TEXT, st.builds(str.__add__, st.sampled_from(SCHEMES), st.one_of(URL_TAIL, URL_TEXT)))


@PARSER
@given(url=DATABASE_URLS)
def test_database_url_is_parsed_or_refused_with_improperly_configured(url):
    try:
        parsed = env.parse_database_url(url, base_dir=Path("/srv/baseline"))
    except ImproperlyConfigured as exc:
        assert "DATABASE_URL" in str(exc)
        return
    except Exception as exc:
        raise AssertionError(f"DATABASE_URL={url!r}: {type(exc).__name__}: {exc}, not ImproperlyConfigured") from exc
    assert parsed["ENGINE"] in {"django.db.backends.sqlite3", "django.db.backends.postgresql"}
    assert parsed["NAME"]


# An environment variable's value: any text the OS can hold (no NUL, no lone surrogate).
ENV_VALUE = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"))
NAME = "BASELINE_FUZZ_SETTING"


@PARSER
@given(value=ENV_VALUE)
def test_env_helpers_return_a_value_or_refuse_with_improperly_configured(value):
    with mock.patch.dict(os.environ, {NAME: value}):
        try:
            flag = env.env_bool(NAME, False)
        except ImproperlyConfigured as exc:
            assert NAME in str(exc)
        else:
            assert isinstance(flag, bool)
        try:
            number = env.env_int(NAME, 3, minimum=3)
        except ImproperlyConfigured as exc:
            assert NAME in str(exc)
        else:
            assert isinstance(number, int) and number >= 3
        assert all(part and part == part.strip() for part in env.env_list(NAME))
        text = env.env_str(NAME, "default")
        assert text == (value.strip() or "default")


# --- the Authorization header ----------------------------------------------------------------

# A WSGI server hands headers over as latin-1 text (PEP 3333): every byte value, nothing beyond.
HEADER_TEXT = st.text(alphabet=st.characters(max_codepoint=0xFF))
HEADERS = st.one_of(
    HEADER_TEXT,
    st.builds(str.__add__, st.sampled_from(["Token ", "token ", "TOKEN ", "Token  ", "Bearer ", "Token\t"]),
              HEADER_TEXT),
)


@PARSER
@given(header=HEADERS)
def test_any_authorization_header_without_a_valid_token_is_a_401(personas, header):
    if not personas.curator.api_tokens.exists():  # once for all examples: a user holds at most 5 tokens
        token_create(actor=SYSTEM, user=personas.curator, name="real")  # a real token exists; the header is not it
    response = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401, (header, response.content)
    assert set(response.json()) == {"detail", "code"}


# --- query and form fields the schema does not describe precisely ---------------------------

# Any text, and text made of the characters that break naive parsers: NUL (PostgreSQL refuses it in
# text columns and query parameters) and digits of other scripts ("²".isdigit() is True, int("²")
# raises). Plain st.text() meets those only by luck; here they are always in the mix.
AWKWARD_TEXT = st.one_of(st.text(), st.text(alphabet=st.sampled_from(["\x00", "²", "٣", "a", "7", " "]), min_size=1))
NUMBERISH = st.one_of(st.text(), st.text(alphabet=st.characters(categories=("Nd", "No")), min_size=1))


@pytest.fixture
def released(personas):
    approved_item(personas)
    publish(personas.curator)
    return personas


@PARSER
@given(since=NUMBERISH)
def test_the_delta_since_parameter_is_a_400_unless_it_names_an_earlier_release(released, since):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(released.curator)
    response = client.get("/api/v1/releases/1/delta/", {"since": since})
    assert response.status_code == 400, f"since={since!r} → {response.status_code}"


@PARSER
@given(quality=NUMBERISH)
def test_the_submit_form_refuses_a_bad_pdq_quality_without_a_server_error(personas, client, quality):
    client.raise_request_exception = False
    client.force_login(personas.investigator)
    response = client.post("/submit/", {
        "media_type": "image", "external_reference": "ICSE-IMG-0001", "sig_pdq": fake("pdq"), "pdq_quality": quality,
    })
    assert response.status_code in (302, 400, 409), f"pdq_quality={quality!r} → {response.status_code}"


# Free-text fields of browser forms and of API bodies read without a serializer: (caller, how, path,
# field, other fields). Any text must give a page or an error message, never a 500. "{}" in a field's
# value is where the text goes, so that it gets past the form's own checks; <...> are filled in.
FREE_TEXT_FIELDS = {
    "release note (API)": ("curator", "api", "/api/v1/releases/", "note", {}),
    "retraction reason (API)": ("curator", "api", "/api/v1/submissions/{approved}/retract/", "reason", {}),
    "submission reference": ("investigator", "post", "/submit/", "external_reference",
                             {"media_type": "image", "sig_md5": "<md5>"}),
    "submission note": ("investigator", "post", "/submit/", "note",
                        {"media_type": "image", "external_reference": "ICSE-IMG-0001", "sig_md5": "<md5>"}),
    "hash search": ("curator", "get", "/submissions/", "value", {}),
    "token name": ("outsider", "post", "/tokens/", "name", {}),
    "criteria text": ("admin", "post", "/criteria/", "criteria", {"criteria": "real_child | Real? {}"}),
    "entitlement feed": ("admin", "post", "/entitlements/", "feed", {"organisation": "<partner organisation>"}),
    "entitlement organisation": ("admin", "post", "/entitlements/", "organisation", {"feed": "standard"}),
    "retraction reason": ("curator", "post", "/submissions/{approved}/retract/", "reason", {}),
    "release note": ("curator", "post", "/releases/publish/", "note", {}),
    "review comment": ("reviewer", "post", "/reviews/{pending}/", "comment",
                       {"real_child": "yes", "under_13": "yes", "sexual_abuse": "no"}),
    "audit filter": ("admin", "get", "/audit/", "action", {}),
    "user search": ("admin", "get", "/users/", "q", {}),
    "new user's name": ("admin", "post", "/users/new/", "username", {"organisation": "<partner organisation>"}),
    "role grant reason": ("admin", "post", "/users/{user}/grant/", "reason", {"role": "partner"}),
    "organisation name": ("admin", "post", "/organisations/", "name", {"country": "GB", "kind": "hotline"}),
}


def _objects_for(personas, path: str) -> dict:
    """Fresh objects for one example, so that every example reaches the write its text goes into:
    an approved item to retract, a pending item to review, a user without roles, and no release
    build in the way."""
    Release.objects.filter(status=Release.Status.BUILDING).update(status=Release.Status.FAILED)
    return {
        "approved": approved_item(personas).pk if "{approved}" in path else None,
        "pending": make_item(personas.investigator).pk if "{pending}" in path else None,
        "user": UserFactory(organisation=personas.partner.organisation).pk if "{user}" in path else None,
    }


@pytest.mark.parametrize("field_name", FREE_TEXT_FIELDS)
@settings(PARSER, max_examples=30)
@given(text=AWKWARD_TEXT)
def test_free_text_fields_never_cause_a_server_error(personas, client, field_name, text):
    who, how, path, name, others = FREE_TEXT_FIELDS[field_name]
    user = getattr(personas, who)
    fixed = {"<md5>": fake("md5"), "<partner organisation>": str(personas.partner.organisation.pk)}
    data = {key: fixed.get(value, value) for key, value in others.items()}
    data[name] = data.get(name, "{}").replace("{}", text)
    url = path.format(**_objects_for(personas, path))
    if how == "api":
        api = APIClient(raise_request_exception=False)
        api.force_authenticate(user)
        response = api.post(url, data, format="json")
    else:
        client.raise_request_exception = False
        client.force_login(user)
        response = client.get(url, data) if how == "get" else client.post(url, data)
    assert response.status_code < 500, f"{field_name}: {text!r} → {response.status_code}"


# --- review answers -------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
KEYS = ["real_child", "under_13", "sexual_abuse"]


@PARSER
@given(answers=JSON | st.dictionaries(st.sampled_from(KEYS), JSON, max_size=3))
def test_review_answers_give_a_verdict_or_an_answers_error(answers):
    try:
        verdict = workflow.verdict_for(answers, KEYS)
    except workflow.AnswersError as exc:
        assert exc.errors
    else:
        assert set(answers) == set(KEYS) and all(isinstance(answers[k], bool) for k in KEYS)
        assert verdict == (workflow.AGREE if all(answers.values()) else workflow.DISAGREE)
