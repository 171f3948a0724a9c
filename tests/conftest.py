"""Personas shared by the whole suite (STYLE.md): an investigator, four reviewers from different
organisations, a curator, a partner, an administrator and an outsider."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts.models import Organisation, Role, User
from tests.clients import api_key_for
from tests.factories import OrganisationFactory, UserFactory


@dataclass
class Personas:
    investigator: User
    colleague: User  # same organisation as the investigator, also an investigator
    reviewers: list[User]
    curator: User
    partner: User
    admin: User
    outsider: User  # signed in, no role

    @property
    def reviewer(self) -> User:
        return self.reviewers[0]

    def by_role(self) -> dict[str, User]:
        return {
            Role.INVESTIGATOR: self.investigator,
            Role.REVIEWER: self.reviewer,
            Role.CURATOR: self.curator,
            Role.PARTNER: self.partner,
            Role.ADMINISTRATOR: self.admin,
        }


@pytest.fixture
def personas(db) -> Personas:
    police = OrganisationFactory(name="Northshire Police", country="GB")
    orgs = [
        OrganisationFactory(name="Rhineland Investigations", country="DE"),
        OrganisationFactory(name="Maple Unit", country="CA"),
        OrganisationFactory(name="SafeLine Hotline", country="NL", kind=Organisation.Kind.HOTLINE),
        OrganisationFactory(name="Alpine Police", country="CH"),
    ]
    secretariat = OrganisationFactory(name="Secretariat", country="FR", kind=Organisation.Kind.SECRETARIAT)
    partner_org = OrganisationFactory(name="Example Networks", country="SE", kind=Organisation.Kind.PARTNER)
    return Personas(
        investigator=UserFactory(username="investigator", organisation=police, roles=[Role.INVESTIGATOR]),
        colleague=UserFactory(username="colleague", organisation=police, roles=[Role.INVESTIGATOR]),
        reviewers=[
            UserFactory(username=f"reviewer{i + 1}", organisation=org, roles=[Role.REVIEWER])
            for i, org in enumerate(orgs)
        ],
        curator=UserFactory(username="curator", organisation=secretariat, roles=[Role.CURATOR]),
        partner=UserFactory(username="partner", organisation=partner_org, roles=[Role.PARTNER]),
        admin=UserFactory(username="admin", organisation=secretariat, roles=[Role.ADMINISTRATOR]),
        outsider=UserFactory(username="outsider", organisation=OrganisationFactory(name="Elsewhere")),
    )


@pytest.fixture
def second_admin(personas) -> User:
    """An administrator of another organisation than `personas.admin`'s, holding the role from the
    operator (a grant with no granting person): eligible to approve the first one's requests."""
    board = OrganisationFactory(name="Oversight Board", country="BE", kind=Organisation.Kind.SECRETARIAT)
    return UserFactory(username="admin2", organisation=board, roles=[Role.ADMINISTRATOR])


@pytest.fixture
def api():
    """Return an API client authenticated with a real token for `user` (None: anonymous)."""

    def make(user: User | None = None, *, enforce_csrf_checks: bool = False) -> APIClient:
        client = APIClient(enforce_csrf_checks=enforce_csrf_checks)
        if user is not None:
            key = api_key_for(user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture(autouse=True)
def export_storage(tmp_path, settings):
    """Each test writes release files to its own directory (a real file system)."""
    location = tmp_path / "exports"
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(location)}},
    }
    return location


@pytest.fixture(autouse=True)
def match_indexes(tmp_path, settings):
    """Each test's host copy of the matching indexes is its own, and no process-wide index from an
    earlier test is served (curation/matching/loaded.py)."""
    from curation.matching import loaded

    settings.BASELINE_MATCH_INDEX_DIR = tmp_path / "match-index"
    loaded.forget()
    yield settings.BASELINE_MATCH_INDEX_DIR
    loaded.forget()


@pytest.fixture
def client():
    """Signed-in test sessions have passed the second factor (tests/accounts/test_mfa.py covers it)."""
    from tests.clients import VerifiedClient

    return VerifiedClient()


@pytest.fixture(autouse=True)
def fresh_cache():
    """Throttle counters and lockouts live in the cache (Redis under `make test`): start each test clean."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def private_cache(settings):
    """API throttling counts requests per token in the cache. Test databases number tokens from 1,
    so runs sharing the Redis cache would share counters: the test gets its own in-process cache."""
    import uuid

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"private-{uuid.uuid4()}"}}


def ensure_initial_data() -> None:
    """The rows the data migrations create (criteria v1, feeds, audit head), for transactional
    tests that start after another test flushed the tables. Idempotent."""
    import importlib

    from django.apps import apps

    from core.models import AuditHead
    from curation.models import CriteriaSet, Criterion

    initial = importlib.import_module("curation.migrations.0002_initial_data")
    feeds = importlib.import_module("curation.migrations.0006_feeds")
    AuditHead.objects.get_or_create(pk=1)
    criteria_set, created = CriteriaSet.objects.get_or_create(version=1, defaults={"is_active": True})
    if created:
        Criterion.objects.bulk_create(Criterion(criteria_set=criteria_set, key=key, question=question, position=i)
                                      for i, (key, question) in enumerate(initial.DEFAULT_CRITERIA))
    feeds.create_feeds(apps, None)
    # Content types and permissions come from post_migrate, which a flush between serialized
    # tests skips; after some orders of tests they are missing (guardian's grants need them).
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    for config in apps.get_app_configs():
        create_contenttypes(config, verbosity=0)
        create_permissions(config, verbosity=0)
