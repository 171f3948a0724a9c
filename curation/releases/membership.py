"""The rows each release file is rendered from, read from the list's membership intervals with
server-side cursors (PostgreSQL) so memory stays flat at millions of signatures.

Membership is recorded once per stay of an item on a list (`Listing`: the version it entered, the
version it left), never copied per release. The build of version N closes the stays of items no
longer approved (`left_version = N`) and opens one for each newly approved item
(`entered_version = N`); release V holds the stays with `entered_version <= V < left_version`.

Ordering is done by the database, bytewise (`COLLATE "C"` on PostgreSQL; SQLite's default
collation is already bytewise); the renderers in `exports.py` check it line by line.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

from baseline_client.hashing import signatures
from django.db import connection

from curation.models import Listing, Release, Signature, Submission
from curation.releases import exports

FETCH = 10_000
M, S, I = Listing._meta.db_table, Signature._meta.db_table, Submission._meta.db_table  # noqa: E741


def _in(release: Release | None, alias: str = "m") -> tuple[str, list]:
    """SQL (and its parameters) true of the stays `release` holds; false for no release."""
    if release is None:
        return "FALSE", []
    return (f"{alias}.list = %s AND {alias}.entered_version <= %s "
            f"AND ({alias}.left_version IS NULL OR {alias}.left_version > %s)",
            [release.list, release.version, release.version])


def _c() -> str:
    return ' COLLATE "C"' if connection.vendor == "postgresql" else ""


def _materialized() -> str:
    return "MATERIALIZED" if connection.vendor == "postgresql" else ""


def _uuid(value) -> str:
    return str(value) if isinstance(value, uuid.UUID) else str(uuid.UUID(value))


def _stream(sql: str, params: list) -> Iterator[tuple]:
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH):
            yield from rows


def _previous(release: Release) -> Release | None:
    return Release.objects.filter(list=release.list, version=release.version - 1,
                                  status=Release.Status.PUBLISHED).first()


def snapshot(release: Release) -> None:
    """Fix the membership of the version being built: undo what an earlier attempt of this version
    did, close the stays of items no longer approved, open one for each newly approved item. Only
    rows of this version change (the triggers of migration 0013 refuse anything else)."""
    approved = Submission.Status.APPROVED
    lst, version = release.list, release.version
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {M} WHERE list = %s AND entered_version = %s", [lst, version])  # noqa: S608
        cursor.execute(f"UPDATE {M} SET left_version = NULL WHERE list = %s AND left_version = %s",  # noqa: S608
                       [lst, version])
        cursor.execute(
            f"UPDATE {M} SET left_version = %s WHERE list = %s AND left_version IS NULL AND NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {I} i WHERE i.id = {M}.submission_id AND i.status = %s)",
            [version, lst, approved],
        )
        # The open stays are read once, before the insert: an anti-join against the table being
        # written would rescan its growing heap for every row (quadratic on a first build).
        cursor.execute(
            f"WITH still_open AS {_materialized()} (SELECT submission_id FROM {M} "  # noqa: S608
            "WHERE list = %s AND left_version IS NULL) "
            f"INSERT INTO {M} (list, submission_id, entered_version, left_version, added_in_version) "
            f"SELECT %s, i.id, %s, NULL, %s FROM {I} i WHERE i.status = %s AND NOT EXISTS "
            "(SELECT 1 FROM still_open o WHERE o.submission_id = i.id)",
            [lst, lst, version, version, approved],
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {M}")  # the next build and the renderers plan with today's sizes


def unsupported_members(release: Release) -> int:
    """Members whose recorded reviews do not make them approved: fewer agreeing reviews than the
    item requires, too few organisations, or any disagreement. Zero unless someone changed a
    status behind the services' back (for example with SQL); the build then refuses to publish."""
    from curation.models import Review

    r = Review._meta.db_table
    members, params = _in(release)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {M} m JOIN {I} i ON i.id = m.submission_id "  # noqa: S608 - table names only
            f"LEFT JOIN (SELECT submission_id, "
            f"SUM(CASE WHEN verdict = 'agree' THEN 1 ELSE 0 END) AS agreements, "
            f"SUM(CASE WHEN verdict = 'agree' THEN 0 ELSE 1 END) AS refusals, "
            f"COUNT(DISTINCT CASE WHEN verdict = 'agree' THEN organisation_id END) AS organisations "
            f"FROM {r} GROUP BY submission_id) v ON v.submission_id = m.submission_id "
            f"WHERE {members} AND (v.submission_id IS NULL OR v.agreements < i.required_agreements "
            "OR v.refusals > 0 OR v.organisations < i.min_reviewer_organisations)",
            params,
        )
        return cursor.fetchone()[0]


def counts(release: Release) -> dict:
    """Items and signatures of the release, and the stays it opened (added) and closed (removed)."""
    members, params = _in(release)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {M} m WHERE {members}", params)  # noqa: S608
        item_count = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT s.algorithm, count(*) FROM {M} m JOIN {S} s ON s.submission_id = m.submission_id "  # noqa: S608
            f"WHERE {members} GROUP BY s.algorithm",
            params,
        )
        signature_counts = dict(sorted(cursor.fetchall()))
        changes = []
        for column in ("entered_version", "left_version"):
            cursor.execute(f"SELECT count(*) FROM {M} WHERE list = %s AND {column} = %s",  # noqa: S608
                           [release.list, release.version])
            changes.append(cursor.fetchone()[0])
    return {"item_count": item_count, "signature_counts": signature_counts, "added": changes[0],
            "removed": changes[1]}


def signature_rows(release: Release, *, photodna: bool = False) -> Iterator[tuple[str, str, str, str, int]]:
    """(item_id, media_type, algorithm, value, added_in_version), by item then algorithm."""
    where = "" if photodna else "AND s.algorithm <> 'photodna'"
    members, params = _in(release)
    sql = (
        f"SELECT m.submission_id, i.media_type, s.algorithm, s.value, m.added_in_version FROM {M} m "  # noqa: S608
        f"JOIN {I} i ON i.id = m.submission_id JOIN {S} s ON s.submission_id = m.submission_id "
        f"WHERE {members} {where} ORDER BY m.submission_id, s.algorithm{_c()}"
    )
    for item_id, media_type, algorithm, value, added in _stream(sql, params):
        yield _uuid(item_id), media_type, algorithm, value, added


def json_items(release: Release) -> Iterator[tuple[str, str, int, list[tuple[str, str]]]]:
    for item_id, rows in itertools.groupby(signature_rows(release), key=lambda row: row[0]):
        rows = list(rows)
        yield item_id, rows[0][1], rows[0][4], [(row[2], row[3]) for row in rows]


def values(release: Release, algorithm: str) -> Iterator[str]:
    members, params = _in(release)
    sql = (
        f"SELECT s.value FROM {M} m JOIN {S} s ON s.submission_id = m.submission_id "  # noqa: S608
        f"WHERE {members} AND s.algorithm = %s ORDER BY s.value{_c()}"
    )
    for (value,) in _stream(sql, [*params, algorithm]):
        yield value


def threatexchange_rows(release: Release) -> Iterator[tuple[str, str]]:
    cases = " ".join(
        f"WHEN i.media_type = '{media}' AND s.algorithm = '{algorithm}' THEN '{signal}'"
        for (media, algorithm), signal in exports.THREATEXCHANGE_SIGNAL_TYPES.items()
    )
    members, params = _in(release)
    sql = (
        f"SELECT signal, value FROM (SELECT CASE {cases} END AS signal, s.value AS value FROM {M} m "  # noqa: S608
        f"JOIN {I} i ON i.id = m.submission_id JOIN {S} s ON s.submission_id = m.submission_id "
        f"WHERE {members}) t WHERE signal IS NOT NULL ORDER BY signal{_c()}, value{_c()}"
    )
    yield from _stream(sql, params)


def vics_items(release: Release) -> Iterator[tuple]:
    members, params = _in(release)
    sql = (
        f"SELECT m.submission_id, i.media_type, s.algorithm, s.value FROM {M} m "  # noqa: S608
        f"JOIN {I} i ON i.id = m.submission_id "
        f"JOIN {S} s ON s.submission_id = m.submission_id "
        f"WHERE {members} AND s.algorithm IN ('md5', 'sha1', 'photodna') ORDER BY m.submission_id"
    )
    for item_id, rows in itertools.groupby(_stream(sql, params), key=lambda row: row[0]):
        rows = list(rows)
        yield _uuid(item_id), rows[0][1], {row[2]: row[3] for row in rows}


def delta_rows(release: Release, earlier: Release | None) -> Iterator[tuple[str, str, str, str, str]]:
    """(change, item_id, media_type, algorithm, value): items added since `earlier`, then removed."""
    for change, inside, outside in (("added", release, earlier), ("removed", earlier, release)):
        if inside is None:
            continue
        members, params = _in(inside)
        others, other_params = _in(outside, "p")
        sql = (
            f"SELECT m.submission_id, i.media_type, s.algorithm, s.value FROM {M} m "  # noqa: S608
            f"JOIN {I} i ON i.id = m.submission_id JOIN {S} s ON s.submission_id = m.submission_id "
            f"WHERE {members} AND s.algorithm <> 'photodna' AND NOT EXISTS "
            f"(SELECT 1 FROM {M} p WHERE {others} AND p.submission_id = m.submission_id) "
            f"ORDER BY m.submission_id, s.algorithm{_c()}"
        )
        for item_id, media_type, algorithm, value in _stream(sql, [*params, *other_params]):
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


def algorithm_rows(release: Release, algorithm: str) -> Iterator[tuple[str, str, str, int]]:
    """(value, item_id, media_type, added_in_version) of one algorithm's listed signatures, by value
    bytewise: what the matching index is written from (curation/matching/index.py)."""
    members, params = _in(release)
    sql = (
        f"SELECT s.value, m.submission_id, i.media_type, m.added_in_version FROM {M} m "  # noqa: S608
        f"JOIN {I} i ON i.id = m.submission_id JOIN {S} s ON s.submission_id = m.submission_id "
        f"WHERE {members} AND s.algorithm = %s ORDER BY s.value{_c()}, m.submission_id"
    )
    for value, item_id, media_type, added in _stream(sql, [*params, algorithm]):
        yield value, _uuid(item_id), media_type, added
