"""The audit log's models moved from the curation app to core (migrations core 0001 and curation
0009, state only). A database built at the previous release's migrations, with a chain in it, must
come through the move with every entry verifying, its content types renamed rather than made anew,
and the append-only trigger still in force."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from accounts.services import organisation_create
from core import audit
from core.actions import AuditAction
from core.actors import SYSTEM
from tests.conftest import ensure_initial_data

# The previous release: the audit tables belonged to curation, and core had no migrations.
BEFORE_THE_MOVE = [
    ("accounts", "0005_user_must_change_password"),
    ("curation", "0008_published_releases_frozen"),
    ("core", None),
]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_chain_written_before_the_move_verifies_after_it():
    ensure_initial_data()
    _migrate(BEFORE_THE_MOVE)
    try:
        old = ContentType.objects.get(app_label="curation", model="auditentry")  # as the old release had it
        for n in range(3):  # real services writing real entries on the old schema
            organisation_create(actor=SYSTEM, name=f"Before the move {n}", country="FR", kind="hotline")
        with transaction.atomic():
            audit.record(actor=SYSTEM, action=AuditAction.SIGNING_KEY_ACTIVATE, object_type="x", object_id="1")
        count_before, broken = audit.verify()
        assert broken is None and count_before >= 4
    finally:
        _migrate(_latest())

    out = StringIO()
    call_command("verify_audit_log", stdout=out)
    assert out.getvalue().strip() == f"Audit log intact: {count_before} entries verified."
    moved = ContentType.objects.get(app_label="core", model="auditentry")
    assert moved.pk == old.pk  # renamed, so permissions and references follow
    assert not ContentType.objects.filter(app_label="curation", model__in=["auditentry", "audithead"]).exists()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE curation_auditentry SET details = '{}'")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_move_runs_backwards_too():
    """Rolling the release back (migrating down) gives the models and content types back to curation."""
    ensure_initial_data()
    _migrate(BEFORE_THE_MOVE)
    try:
        assert ContentType.objects.filter(app_label="curation", model="audithead").exists()
        assert not ContentType.objects.filter(app_label="core").exists()
    finally:
        _migrate(_latest())
    assert ContentType.objects.filter(app_label="core", model="audithead").exists()
