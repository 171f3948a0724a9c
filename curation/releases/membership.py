"""The rows each release file is rendered from, read from the release's snapshot with
server-side cursors (PostgreSQL) so memory stays flat at millions of signatures.

Ordering is done by the database, bytewise (`COLLATE "C"` on PostgreSQL; SQLite's default
collation is already bytewise); the renderers in `exports.py` check it line by line.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

from django.db import connection

from curation.hashing import signatures
from curation.models import Release, ReleaseMember, Signature, Submission
from curation.releases import exports

FETCH = 10_000
M, S, I = ReleaseMember._meta.db_table, Signature._meta.db_table, Submission._meta.db_table  # noqa: E741


def _c() -> str:
    return ' COLLATE "C"' if connection.vendor == "postgresql" else ""


def _uuid(value) -> str:
    return str(value) if isinstance(value, uuid.UUID) else str(uuid.UUID(value))


def _stream(sql: str, params: list) -> Iterator[tuple]:
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH):
            yield from rows


def _previous(release: Release) -> Release | None:
    return Release.objects.filter(version=release.version - 1, status=Release.Status.PUBLISHED).first()


def snapshot(release: Release) -> None:
    """Copy every approved item into the release's membership, keeping when each was first listed."""
    previous = _previous(release)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {M} (release_id, submission_id, added_in_version) "  # noqa: S608 - table names only
            f"SELECT %s, i.id, COALESCE(p.added_in_version, %s) FROM {I} i "
            f"LEFT JOIN {M} p ON p.submission_id = i.id AND p.release_id = %s "
            "WHERE i.status = %s",
            [release.pk, release.version, previous.pk if previous else None, Submission.Status.APPROVED],
        )


def unsupported_members(release: Release) -> int:
    """Members whose recorded reviews do not make them approved: fewer agreeing reviews than the
    item requires, too few organisations, or any disagreement. Zero unless someone changed a
    status behind the services' back (for example with SQL); the build then refuses to publish."""
    from curation.models import Review

    r = Review._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {M} m JOIN {I} i ON i.id = m.submission_id "  # noqa: S608 - table names only
            f"LEFT JOIN (SELECT submission_id, "
            f"SUM(CASE WHEN verdict = 'agree' THEN 1 ELSE 0 END) AS agreements, "
            f"SUM(CASE WHEN verdict = 'agree' THEN 0 ELSE 1 END) AS refusals, "
            f"COUNT(DISTINCT CASE WHEN verdict = 'agree' THEN organisation_id END) AS organisations "
            f"FROM {r} GROUP BY submission_id) v ON v.submission_id = m.submission_id "
            "WHERE m.release_id = %s AND (v.submission_id IS NULL OR v.agreements < i.required_agreements "
            "OR v.refusals > 0 OR v.organisations < i.min_reviewer_organisations)",
            [release.pk],
        )
        return cursor.fetchone()[0]


def counts(release: Release) -> dict:
    previous = _previous(release)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {M} WHERE release_id = %s", [release.pk])  # noqa: S608
        item_count = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT s.algorithm, count(*) FROM {M} m JOIN {S} s ON s.submission_id = m.submission_id "  # noqa: S608
            "WHERE m.release_id = %s GROUP BY s.algorithm",
            [release.pk],
        )
        signature_counts = dict(sorted(cursor.fetchall()))
        added = _count_difference(cursor, release.pk, previous.pk if previous else None)
        removed = _count_difference(cursor, previous.pk, release.pk) if previous else 0
    return {"item_count": item_count, "signature_counts": signature_counts, "added": added, "removed": removed}


def _count_difference(cursor, in_release: int, not_in_release: int | None) -> int:
    cursor.execute(
        f"SELECT count(*) FROM {M} m WHERE m.release_id = %s AND NOT EXISTS "  # noqa: S608
        f"(SELECT 1 FROM {M} p WHERE p.release_id = %s AND p.submission_id = m.submission_id)",
        [in_release, not_in_release],
    )
    return cursor.fetchone()[0]


def signature_rows(release: Release, *, photodna: bool = False) -> Iterator[tuple[str, str, str, str, int]]:
    """(item_id, media_type, algorithm, value, added_in_version), by item then algorithm."""
    where = "" if photodna else "AND s.algorithm <> 'photodna'"
    sql = (
        f"SELECT m.submission_id, i.media_type, s.algorithm, s.value, m.added_in_version FROM {M} m "  # noqa: S608
        f"JOIN {I} i ON i.id = m.submission_id JOIN {S} s ON s.submission_id = m.submission_id "
        f"WHERE m.release_id = %s {where} ORDER BY m.submission_id, s.algorithm{_c()}"
    )
    for item_id, media_type, algorithm, value, added in _stream(sql, [release.pk]):
        yield _uuid(item_id), media_type, algorithm, value, added


def json_items(release: Release) -> Iterator[tuple[str, str, int, list[tuple[str, str]]]]:
    for item_id, rows in itertools.groupby(signature_rows(release), key=lambda row: row[0]):
        rows = list(rows)
        yield item_id, rows[0][1], rows[0][4], [(row[2], row[3]) for row in rows]


def values(release: Release, algorithm: str) -> Iterator[str]:
    sql = (
        f"SELECT s.value FROM {M} m JOIN {S} s ON s.submission_id = m.submission_id "  # noqa: S608
        f"WHERE m.release_id = %s AND s.algorithm = %s ORDER BY s.value{_c()}"
    )
    for (value,) in _stream(sql, [release.pk, algorithm]):
        yield value


def threatexchange_rows(release: Release) -> Iterator[tuple[str, str]]:
    cases = " ".join(
        f"WHEN i.media_type = '{media}' AND s.algorithm = '{algorithm}' THEN '{signal}'"
        for (media, algorithm), signal in exports.THREATEXCHANGE_SIGNAL_TYPES.items()
    )
    sql = (
        f"SELECT signal, value FROM (SELECT CASE {cases} END AS signal, s.value AS value FROM {M} m "  # noqa: S608
        f"JOIN {I} i ON i.id = m.submission_id JOIN {S} s ON s.submission_id = m.submission_id "
        f"WHERE m.release_id = %s) t WHERE signal IS NOT NULL ORDER BY signal{_c()}, value{_c()}"
    )
    yield from _stream(sql, [release.pk])


def vics_items(release: Release) -> Iterator[tuple]:
    sql = (
        f"SELECT m.submission_id, i.media_type, s.algorithm, s.value FROM {M} m "  # noqa: S608
        f"JOIN {I} i ON i.id = m.submission_id "
        f"JOIN {S} s ON s.submission_id = m.submission_id "
        f"WHERE m.release_id = %s AND s.algorithm IN ('md5', 'sha1', 'photodna') ORDER BY m.submission_id"
    )
    for item_id, rows in itertools.groupby(_stream(sql, [release.pk]), key=lambda row: row[0]):
        rows = list(rows)
        yield _uuid(item_id), rows[0][1], {row[2]: row[3] for row in rows}


def delta_rows(release: Release, earlier: Release | None) -> Iterator[tuple[str, str, str, str, str]]:
    """(change, item_id, media_type, algorithm, value): items added since `earlier`, then removed."""
    for change, inside, outside in (("added", release, earlier), ("removed", earlier, release)):
        if inside is None:
            continue
        sql = (
            f"SELECT m.submission_id, i.media_type, s.algorithm, s.value FROM {M} m "  # noqa: S608
            f"JOIN {I} i ON i.id = m.submission_id JOIN {S} s ON s.submission_id = m.submission_id "
            f"WHERE m.release_id = %s AND s.algorithm <> 'photodna' AND NOT EXISTS "
            f"(SELECT 1 FROM {M} p WHERE p.release_id = %s AND p.submission_id = m.submission_id) "
            f"ORDER BY m.submission_id, s.algorithm{_c()}"
        )
        for item_id, media_type, algorithm, value in _stream(sql, [inside.pk, outside.pk if outside else None]):
            yield change, _uuid(item_id), media_type, algorithm, value


def chunks_for(release: Release, file_format: str) -> Iterator[bytes]:
    """The bytes of one of the release's files."""
    if file_format == "csv":
        return exports.render_csv(signature_rows(release))
    if file_format == "json":
        return exports.render_json(release.version, json_items(release))
    if file_format in signatures.ALGORITHMS:
        return exports.render_values(values(release, file_format))
    if file_format == "threatexchange":
        return exports.render_threatexchange(threatexchange_rows(release))
    if file_format == "vics":
        return exports.render_vics(vics_items(release))
    if file_format == "delta":
        return exports.render_delta(delta_rows(release, _previous(release)))
    raise ValueError(f"unknown format {file_format!r}")
