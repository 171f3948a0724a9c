"""A curator's search by hash value (issue 12, item 4): the whole value in any algorithm, its first
8 characters or more (through the prefix index), and for a PDQ hash the items within distance 31."""

import random

import pytest
from django.db import connection

from core.models import AuditEntry
from curation.models import Signature, Submission
from curation.submissions import selectors
from tests.curation.helpers import fake, make_item

pytestmark = pytest.mark.django_db


def flip(pdq_hex: str, bits: int, rng: random.Random) -> str:
    """`pdq_hex` with `bits` distinct bits inverted: exactly that far from it."""
    value = int(pdq_hex, 16)
    for bit in rng.sample(range(256), bits):
        value ^= 1 << bit
    return f"{value:064x}"


def pdq_item(user, value, reference):
    return make_item(user, algorithms=(), signatures=[{"algorithm": "pdq", "value": value, "quality": 90}],
                     external_reference=reference)


def search(client, value):
    return client.get("/submissions/", {"value": value})


def test_the_first_eight_characters_find_an_item_in_any_case(personas, client):
    value = fake("sha256")
    item = make_item(personas.investigator, signatures=[{"algorithm": "sha256", "value": value}],
                     algorithms=(), external_reference="BY-PREFIX")
    make_item(personas.investigator, external_reference="OTHER")
    client.force_login(personas.curator)
    for typed in (value[:8], value[:8].upper(), value[:20], value, " " + value.upper() + " "):
        response = search(client, typed)
        page = response.content.decode()
        assert response.status_code == 200, typed
        assert "BY-PREFIX" in page and str(item.pk)[:8] in page and "OTHER" not in page, typed
    assert "No item holds that hash value or one starting with it." in search(client, "0" * 8 + "zz").content.decode()


def test_fewer_than_eight_characters_are_refused_in_words_and_nothing_is_listed(personas, client):
    value = fake("md5")
    make_item(personas.investigator, signatures=[{"algorithm": "md5", "value": value}], algorithms=(),
              external_reference="SHORT")
    client.force_login(personas.curator)
    audit_before = AuditEntry.objects.count()
    response = search(client, value[:7])
    page = response.content.decode()
    assert response.status_code == 400
    assert "Type at least 8 characters of the hash value (you typed 7)" in page
    assert 'aria-invalid="true"' in page and 'role="alert"' in page
    assert "SHORT" not in page and "Nothing was searched." in page
    assert f'value="{value[:7]}"' in page  # kept for correction
    assert AuditEntry.objects.count() == audit_before


def test_a_long_value_is_found_by_more_than_the_indexed_64_characters(personas, client):
    value = fake("vpdq")  # two frames: longer than the 64 indexed characters
    make_item(personas.investigator, media_type="video", algorithms=(), external_reference="LONG",
              signatures=[{"algorithm": "vpdq", "value": value}])
    client.force_login(personas.curator)
    assert "LONG" in search(client, value[:90]).content.decode()
    assert "LONG" not in search(client, value[:89] + ("0" if value[89] != "0" else "1")).content.decode()


def test_a_pdq_hash_finds_items_within_31_nearest_first_and_not_at_32(personas, client):
    rng = random.Random(12)
    base = fake("pdq")
    near = {d: pdq_item(personas.investigator, flip(base, d, rng), f"NEAR-{d}") for d in (31, 0, 5)}
    pdq_item(personas.investigator, flip(base, 32, rng), "FAR-32")
    client.force_login(personas.curator)
    response = search(client, base.upper())
    page = response.content.decode()
    assert response.status_code == 200 and "PDQ distance" in page and "FAR-32" not in page
    assert [page.index(f"NEAR-{d}") for d in (0, 5, 31)] == sorted(page.index(f"NEAR-{d}") for d in (0, 5, 31))
    assert [i.pk for i in response.context["page"].object_list] == [near[0].pk, near[5].pk, near[31].pk]
    assert response.context["search"].distances == {near[0].pk: 0, near[5].pk: 5, near[31].pk: 31}
    assert "No item holds that hash value or one starting with it, nor a PDQ hash within distance 31" in \
        search(client, f"{int(base, 16) ^ ((1 << 256) - 1):064x}").content.decode()


def test_the_status_filter_applies_to_a_value_search(personas, client):
    value = fake("pdq")
    pdq_item(personas.investigator, value, "PENDING-ONE")
    client.force_login(personas.curator)
    assert "PENDING-ONE" in client.get("/submissions/", {"value": value, "status": "pending"}).content.decode()
    assert "PENDING-ONE" not in client.get("/submissions/", {"value": value, "status": "approved"}).content.decode()


def test_postgresql_near_search_equals_reading_every_row(personas):
    """The database's bit_count comparison against Python's, over values spread around 31/32."""
    rng = random.Random(31)
    base = fake("pdq")
    values = {flip(base, rng.choice((0, 1, 15, 30, 31, 32, 33, 60, 128)), rng) for _ in range(120)}
    for n, value in enumerate(sorted(values)):
        pdq_item(personas.investigator, value, f"R{n}")
    assert connection.vendor == "postgresql"
    found = selectors.pdq_near(base)
    assert found == selectors.pdq_near_in_python(base)
    assert found and max(found.values()) <= 31
    assert list(found.values()) == sorted(found.values())
    assert all(Submission.objects.filter(pk=pk).exists() for pk in found)


def test_a_prefix_search_reads_the_prefix_index(personas):
    make_item(personas.investigator)
    query = selectors.items_with_value(fake("sha256")[:12])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = query.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "curation_signature_value_head" in plan and "signature_lookup" in plan, plan
    assert Signature.objects.count() == 2
