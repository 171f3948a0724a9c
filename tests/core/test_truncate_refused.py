"""TRUNCATE of the audit chain and the release tables, and moving the audit head backwards, are
refused to the service's own (non-superuser) database role (migrations core 0002, curation 0010).
Before them, `TRUNCATE curation_auditentry` plus a head reset left `verify_audit_log` reporting an
intact chain of 0 entries."""

from __future__ import annotations

import secrets

import psycopg
import pytest
from django.db import connection, transaction

from core import audit
from core.actions import AuditAction
from core.actors import SYSTEM

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PROTECTED = ["curation_auditentry", "curation_audithead", "curation_release", "curation_listing",
             "curation_releasefile", "curation_releasedelta"]


@pytest.fixture
def app_role():
    """A connection as an ordinary role holding every privilege on the tables, as the service's own
    role would (roles are cluster-wide: the name carries the database's, for parallel runs)."""
    settings = connection.settings_dict
    name = f"baseline_app_{settings['NAME']}"[:60]
    password = secrets.token_hex(16)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP ROLE IF EXISTS "{name}"')
        cursor.execute(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}'")
        cursor.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{name}"')
    conn = psycopg.connect(host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432,
                           dbname=settings["NAME"], user=name, password=password, autocommit=True)
    yield conn
    conn.close()
    with connection.cursor() as cursor:
        cursor.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{name}"')
        cursor.execute(f'DROP ROLE IF EXISTS "{name}"')


def _chain_of_three():
    with transaction.atomic():
        for n in range(3):
            audit.record(actor=SYSTEM, action=AuditAction.ORGANISATION_UPDATE, object_type="t", object_id=n)


@pytest.mark.parametrize("table", PROTECTED)
def test_truncate_is_refused_to_the_service_role(app_role, table):
    _chain_of_three()
    with pytest.raises(psycopg.errors.RaiseException, match="refused"):
        app_role.execute(f"TRUNCATE {table} CASCADE")
    assert audit.verify() == (3, None)


def test_the_audit_head_only_moves_forward_for_the_service_role(app_role):
    _chain_of_three()
    for statement in ("UPDATE curation_audithead SET seq = 0, hash = repeat('0', 64)",
                      "UPDATE curation_audithead SET hash = repeat('a', 64)",
                      "DELETE FROM curation_audithead"):
        with pytest.raises(psycopg.errors.RaiseException, match="only moves forward"):
            app_role.execute(statement)
    count, broken = audit.verify()
    assert (count, broken) == (3, None)


def test_the_service_role_still_appends(app_role):
    """The guard lets the ordinary append through: the head moves forward."""
    _chain_of_three()
    app_role.execute("UPDATE curation_audithead SET seq = seq + 1, hash = repeat('b', 64)")
    assert app_role.execute("SELECT seq FROM curation_audithead").fetchone()[0] == 4
