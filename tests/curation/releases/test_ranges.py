"""Byte ranges of downloads from the file system (README "Downloads"): one range is 206 with its
exact bytes, a malformed or unsatisfiable one 416, several ranges or a stale If-Range the whole
file; If-None-Match still wins (304); each answer that sends bytes is logged, a part too."""

from __future__ import annotations

import hashlib

import pytest
from django.http import FileResponse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.models import AuditEntry
from curation.models import Download
from curation.releases.downloads import Part, RangeNotSatisfiable, byte_range
from curation.releases.services import feed_grant
from tests.curation.helpers import approved_item, publish

# --- The parser: no database --------------------------------------------------------------------

@pytest.mark.parametrize(("header", "part"), [
    ("bytes=0-9", Part(0, 9)),
    ("bytes=90-", Part(90, 99)),
    ("bytes=-10", Part(90, 99)),
    ("bytes=0-0", Part(0, 0)),
    ("bytes=99-99", Part(99, 99)),
    ("bytes=-500", Part(0, 99)),  # longer than the file: all of it
    ("bytes=50-1000", Part(50, 99)),  # past the end: up to the end
    ("Bytes = 5-6 ", Part(5, 6)),
    (None, None),
    ("items=0-5", None),  # a unit we do not know: ignored
    ("0-5", None),
    ("bytes=0-9, 20-29", None),  # several ranges: the whole file
    ("bytes=0-9,", None),
])
def test_a_range_header_names_one_part_or_the_whole_file(header, part):
    assert byte_range(header, 100) == part


@pytest.mark.parametrize(("header", "size", "message"), [
    ("bytes=100-", 100, "The file has 100 bytes; the range starts at byte 100."),
    ("bytes=100-200", 100, "the range starts at byte 100"),
    ("bytes=-0", 100, "bytes=-0 asks for none of them"),
    ("bytes=-5", 0, "The file has 0 bytes"),
    ("bytes=0-", 0, "The file has 0 bytes"),
    ("bytes=9-3", 100, "Range must be one range: bytes=FIRST-LAST, bytes=FIRST- or bytes=-SUFFIX"),
    ("bytes=", 100, "not 'bytes='"),
    ("bytes=-", 100, "not 'bytes=-'"),
    ("bytes=a-b", 100, "not 'bytes=a-b'"),
    ("bytes=1-2-3", 100, "Range must be"),
    ("bytes=+1-2", 100, "Range must be"),
    ("bytes=0x10-", 100, "Range must be"),
])
def test_a_range_that_is_malformed_or_outside_the_file_is_not_satisfiable(header, size, message):
    with pytest.raises(RangeNotSatisfiable, match=message.replace("+", r"\+")):
        byte_range(header, size)


# --- Through the API ---------------------------------------------------------------------------

@pytest.fixture
def release(db, personas):
    for _ in range(20):
        approved_item(personas, algorithms=("md5", "sha256"))
    published = publish(personas.curator)
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="standard")
    return published


@pytest.fixture
def csv(release):
    record = release.files.get(format="csv")
    assert record.size > 1000
    return record


@pytest.fixture
def data(csv, export_storage) -> bytes:
    body = (export_storage / csv.path).read_bytes()
    assert hashlib.sha256(body).hexdigest() == csv.sha256
    return body


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


URL = "/api/v1/releases/1/files/csv/"


def test_a_whole_download_says_ranges_are_accepted(api, personas, csv, data):
    response = api(personas.partner).get(URL)
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert "Content-Range" not in response
    assert body_of(response) == data


@pytest.mark.parametrize(("header", "first", "last"), [
    ("bytes=0-99", 0, 99),
    ("bytes=500-", 500, None),
    ("bytes=-300", -300, None),
    ("bytes=10-10", 10, 10),
    ("bytes=1000-999999999", 1000, None),
])
def test_one_range_answers_206_with_exactly_those_bytes(api, personas, data, header, first, last):
    size = len(data)
    first = first % size
    last = size - 1 if last is None else last
    response = api(personas.partner).get(URL, HTTP_RANGE=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{size}"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="baseline-v1.csv"'
    assert body_of(response) == data[first:last + 1]


def test_a_part_is_streamed_a_block_at_a_time(api, personas, data, monkeypatch):
    monkeypatch.setattr(FileResponse, "block_size", 256)  # the test file is a few kilobytes
    response = api(personas.partner).get(URL, HTTP_RANGE="bytes=3-")
    assert isinstance(response, FileResponse) and response.streaming
    blocks = list(response.streaming_content)
    assert len(blocks) > 4 and max(len(block) for block in blocks) == 256
    assert b"".join(blocks) == data[3:]


@pytest.mark.parametrize("header", ["bytes=999999-", "bytes=-0", "bytes=50-10", "bytes=abc", "bytes="])
def test_an_unsatisfiable_or_malformed_range_is_416_and_not_a_download(api, personas, data, header):
    response = api(personas.partner).get(URL, HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(data)}"
    assert response.json()["code"] == "range_not_satisfiable" and response.json()["detail"]
    assert Download.objects.count() == 0


def test_several_ranges_get_the_whole_file(api, personas, data):
    response = api(personas.partner).get(URL, HTTP_RANGE="bytes=0-9, 20-29")
    assert response.status_code == 200 and body_of(response) == data


def test_if_range_with_the_etag_gives_the_part_and_any_other_the_whole_file(api, personas, csv, data):
    client = api(personas.partner)
    etag = f'"{csv.sha256}"'
    same = client.get(URL, HTTP_RANGE="bytes=100-", HTTP_IF_RANGE=etag)
    assert same.status_code == 206 and body_of(same) == data[100:]
    for stale in ('"0123abcd"', f"W/{etag}", "Fri, 04 Dec 2026 10:00:00 GMT"):
        response = client.get(URL, HTTP_RANGE="bytes=100-", HTTP_IF_RANGE=stale)
        assert response.status_code == 200, stale
        assert "Content-Range" not in response and body_of(response) == data
    # A stale If-Range sends the whole file, so even a range it could not satisfy is not a 416.
    assert client.get(URL, HTTP_RANGE="bytes=999999-", HTTP_IF_RANGE='"other"').status_code == 200


def test_if_none_match_answers_304_before_any_range(api, personas, csv):
    response = api(personas.partner).get(URL, HTTP_RANGE="bytes=0-9", HTTP_IF_NONE_MATCH=f'"{csv.sha256}"')
    assert response.status_code == 304 and response["ETag"] == f'"{csv.sha256}"'
    assert Download.objects.count() == 0


def test_a_resumed_download_is_logged_per_request_and_its_parts_make_the_file(api, personas, csv, data):
    client = api(personas.partner)
    cut = len(data) // 3
    first = body_of(client.get(URL, HTTP_RANGE=f"bytes=0-{cut - 1}"))
    rest = body_of(client.get(URL, HTTP_RANGE=f"bytes={cut}-", HTTP_IF_RANGE=f'"{csv.sha256}"'))
    assert hashlib.sha256(first + rest).hexdigest() == csv.sha256
    assert list(Download.objects.order_by("pk").values_list("file", flat=True)) == ["csv", "csv"]
    details = [entry.details for entry in AuditEntry.objects.filter(action="release.download").order_by("pk")]
    assert details == [{"version": 1, "file": "csv", "range": f"0-{cut - 1}"},
                       {"version": 1, "file": "csv", "range": f"{cut}-{len(data) - 1}"}]


def test_the_manifest_and_a_delta_take_ranges_too(api, personas, release):
    client = api(personas.partner)
    manifest = bytes(release.manifest)
    response = client.get("/api/v1/releases/1/manifest/", HTTP_RANGE="bytes=-20")
    assert response.status_code == 206 and response.content == manifest[-20:]
    assert response["Content-Range"] == f"bytes {len(manifest) - 20}-{len(manifest) - 1}/{len(manifest)}"
    assert client.get("/api/v1/releases/1/manifest/", HTTP_RANGE=f"bytes={len(manifest)}-").status_code == 416
    approved_item(personas, algorithms=("md5",))
    publish(personas.curator)
    full = body_of(client.get("/api/v1/releases/2/delta/?since=1"))
    part = client.get("/api/v1/releases/2/delta/?since=1", HTTP_RANGE="bytes=5-24")
    assert part.status_code == 206 and body_of(part) == full[5:25]


def test_the_release_page_download_link_resumes_in_the_browser_session(client, personas, data):
    client.force_login(personas.partner)
    assert f'href="{URL}" download>' in client.get("/releases/1/").content.decode()
    response = client.get(URL, HTTP_RANGE="bytes=7-")
    assert response.status_code == 206 and body_of(response) == data[7:]
    assert Download.objects.get().user == personas.partner


@hypothesis_settings(max_examples=300, deadline=None)
@given(header=st.one_of(st.none(), st.text(), st.from_regex(r"[bB]ytes ?= ?[0-9]{0,5}-[0-9]{0,5}", fullmatch=True)),
       size=st.integers(min_value=0, max_value=50_000))
def test_any_range_header_gives_a_part_inside_the_file_the_whole_file_or_a_416(header, size):
    try:
        part = byte_range(header, size)
    except RangeNotSatisfiable as refusal:
        assert str(refusal)
    else:
        assert part is None or 0 <= part.first <= part.last < size
