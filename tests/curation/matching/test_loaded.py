"""Each host's copy of the matching index (curation/matching/loaded.py): fetched and checked
against the release's SHA-256, never served when it fails a check, swapped whole to a newer
release, and earlier copies removed from the host while a process that maps one keeps reading it."""

from __future__ import annotations

import pytest

from curation.matching import index as index_file
from curation.matching import loaded
from curation.models import Release
from curation.releases import storage
from tests.curation.helpers import approved_item, fake, publish

pytestmark = pytest.mark.django_db


def listed_pdq(personas):
    value = fake("pdq")
    approved_item(personas, algorithms=(), signatures=[{"algorithm": "pdq", "value": value, "quality": 90}])
    return value


def test_a_new_release_is_swapped_in_whole_and_the_earlier_copy_removed(personas, settings, match_indexes):
    settings.BASELINE_MATCH_CHECK_SECONDS = 0
    listed_pdq(personas)
    publish()
    first = loaded.current("baseline")
    assert first.version == 1 and len(first["pdq.codes"]) == 1
    first_copy = match_indexes / f"{Release.objects.get(version=1).match_index_sha256}.idx"
    assert first_copy.exists()
    listed_pdq(personas)
    publish()
    second = loaded.current("baseline")
    assert second.version == 2 and len(second["pdq.codes"]) == 2
    assert not first_copy.exists()  # superseded on this host
    assert len(first["pdq.codes"]) == 1 and bytes(first["pdq.codes"][0])  # still mapped, still readable
    second_copy = f"{Release.objects.get(version=2).match_index_sha256}.idx"
    assert sorted(p.name for p in match_indexes.iterdir()) == [second_copy]


def test_within_the_check_interval_the_loaded_index_is_kept(personas, settings, django_assert_num_queries):
    settings.BASELINE_MATCH_CHECK_SECONDS = 3600
    listed_pdq(personas)
    publish()
    first = loaded.current("baseline")
    listed_pdq(personas)
    publish()
    with django_assert_num_queries(0):
        assert loaded.current("baseline") is first
    settings.BASELINE_MATCH_CHECK_SECONDS = 0
    assert loaded.current("baseline").version == 2


def _tamper(release: Release, data: bytes) -> None:
    path = storage.export_storage().path(release.match_index_path)
    with open(path, "wb") as handle:
        handle.write(data)


@pytest.mark.parametrize("damage", ["flipped", "truncated"])
def test_a_copy_that_fails_its_checks_is_never_served(personas, settings, match_indexes, damage, caplog):
    settings.BASELINE_MATCH_CHECK_SECONDS = 0
    listed_pdq(personas)
    publish()
    assert loaded.current("baseline").version == 1
    listed_pdq(personas)
    second = publish()
    original = storage.export_storage().open(second.match_index_path).read()
    _tamper(second, bytes([original[0] ^ 1]) + original[1:] if damage == "flipped" else original[:-100])
    served = loaded.current("baseline")
    assert served.version == 1  # the previous index answers
    assert "did not load" in caplog.text
    assert not list(match_indexes.glob("*.part"))
    assert not (match_indexes / f"{second.match_index_sha256}.idx").exists()
    _tamper(second, original)  # repaired: the next check loads it
    assert loaded.current("baseline").version == 2


def test_an_index_file_whose_frame_is_broken_is_refused(tmp_path):
    path = tmp_path / "broken.idx"
    whole = b"".join(index_file.write(1, "baseline", lambda algorithm: iter(())))
    path.write_bytes(whole)
    assert index_file.load(path).version == 1
    for broken in (b"NOTANIDX" + whole[8:], whole[:-4], whole[:20]):
        path.write_bytes(broken)
        with pytest.raises(index_file.IndexFileError):
            index_file.load(path)
