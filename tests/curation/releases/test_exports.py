"""The release file renderers (curation.exports, DESIGN.md section 5). Pure: no database.

Every value here is synthetic: patterned hex, a patterned PhotoDNA-shaped base64 string, and item
ids that are counters dressed as UUIDs.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curation.releases import exports
from curation.releases.exports import (
    CHUNK_SIZE,
    ExportOrderError,
    file_spec,
    render_csv,
    render_delta,
    render_json,
    render_threatexchange,
    render_values,
    render_vics,
    threatexchange_rows_for,
)

ID1 = "00000000-0000-4000-8000-000000000001"
ID2 = "00000000-0000-4000-8000-000000000002"
ID3 = "00000000-0000-4000-8000-000000000003"
MD5 = "00000000000000000000000000000001"
SHA1 = "0000000000000000000000000000000000000002"
PDQ = "0f" * 32
PHOTODNA = "AQID" * 48  # 192 characters of standard base64, 144 bytes: 01 02 03 repeated
FRAME_A, FRAME_B = "ab" * 32, "cd" * 32
VPDQ = f'["{FRAME_A},90,0.000","{FRAME_B},88,1.000"]'

CSV_ROWS = [
    (ID1, "image", "md5", MD5, 1),
    (ID1, "image", "pdq", PDQ, 1),
    (ID2, "video", "vpdq", VPDQ, 2),
]
JSON_ITEMS = [
    (ID1, "image", 1, [("pdq", PDQ), ("md5", MD5)]),
    (ID2, "video", 2, [("vpdq", VPDQ)]),
]
VICS_ITEMS = [
    (ID1, "image", {"md5": MD5, "sha1": SHA1, "photodna": PHOTODNA}),
    (ID2, "video", {"sha256": "e" * 64}),  # nothing VICS can match on: skipped
    (ID3, "image", {"md5": "0" * 31 + "3"}),
]
DELTA_ROWS = [
    ("added", ID2, "video", "vpdq", VPDQ),
    ("removed", ID1, "image", "md5", MD5),
]


def rendered(chunks: Iterator[bytes]) -> bytes:
    return b"".join(chunks)


# --- the file table ---------------------------------------------------------------------------


def test_files_are_listed_in_contract_order_with_names_and_feeds() -> None:
    assert [(spec.format, spec.feed, spec.name(7)) for spec in exports.FILES] == [
        ("csv", "standard", "baseline-v7.csv"),
        ("json", "standard", "baseline-v7.json"),
        ("md5", "standard", "baseline-v7.md5.txt"),
        ("sha1", "standard", "baseline-v7.sha1.txt"),
        ("sha256", "standard", "baseline-v7.sha256.txt"),
        ("pdq", "standard", "baseline-v7.pdq.txt"),
        ("photodna", "photodna", "baseline-v7.photodna.txt"),
        ("vpdq", "standard", "baseline-v7.vpdq.txt"),
        ("threatexchange", "standard", "baseline-v7.threatexchange.txt"),
        ("vics", "photodna", "baseline-v7.vics.json"),
        ("delta", "standard", "baseline-v7.delta.csv"),
    ]


def test_file_spec_finds_a_format_and_refuses_an_unknown_one() -> None:
    assert file_spec("vics") == exports.FileSpec("vics", exports.PHOTODNA_FEED)
    with pytest.raises(ValueError, match="unknown export format 'xml'"):
        file_spec("xml")


@pytest.mark.parametrize("version", [0, -1, True, "1"])
def test_file_name_needs_a_positive_integer_version(version: object) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        file_spec("csv").name(version)  # type: ignore[arg-type]


# --- exact bytes per format -------------------------------------------------------------------


def test_csv_renders_header_and_one_row_per_signature_quoting_vpdq() -> None:
    assert rendered(render_csv(CSV_ROWS)) == (
        b"item_id,media_type,algorithm,value,added_in_version\n"
        b"00000000-0000-4000-8000-000000000001,image,md5,00000000000000000000000000000001,1\n"
        b"00000000-0000-4000-8000-000000000001,image,pdq,"
        b"0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f,1\n"
        b'00000000-0000-4000-8000-000000000002,video,vpdq,"[""'
        b"abababababababababababababababababababababababababababababababab,90,0.000"
        b'"",""'
        b"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd,88,1.000"
        b'""]",2\n'
    )


def test_csv_parses_back_to_the_same_rows() -> None:
    text = rendered(render_csv(CSV_ROWS)).decode("utf-8")
    header, *rows = csv.reader(io.StringIO(text, newline=""))
    assert header == ["item_id", "media_type", "algorithm", "value", "added_in_version"]
    assert rows == [[i, m, a, v, str(n)] for i, m, a, v, n in CSV_ROWS]


def test_values_file_has_one_value_per_line() -> None:
    assert rendered(render_values([MD5, "0" * 31 + "3"])) == (
        b"00000000000000000000000000000001\n"
        b"00000000000000000000000000000003\n"
    )


def test_json_has_one_item_per_line_with_sorted_signatures_and_vpdq_as_a_list() -> None:
    body = rendered(render_json(4, JSON_ITEMS))
    assert body == (
        b'{"version":4,"items":[\n'
        b'{"item_id":"00000000-0000-4000-8000-000000000001","media_type":"image","added_in_version":1,'
        b'"signatures":{"md5":"00000000000000000000000000000001",'
        b'"pdq":"0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"}},\n'
        b'{"item_id":"00000000-0000-4000-8000-000000000002","media_type":"video","added_in_version":2,'
        b'"signatures":{"vpdq":["abababababababababababababababababababababababababababababababab,90,0.000",'
        b'"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd,88,1.000"]}}\n'
        b"]}\n"
    )
    assert json.loads(body) == {
        "version": 4,
        "items": [
            {"item_id": ID1, "media_type": "image", "added_in_version": 1, "signatures": {"md5": MD5, "pdq": PDQ}},
            {
                "item_id": ID2,
                "media_type": "video",
                "added_in_version": 2,
                "signatures": {"vpdq": [f"{FRAME_A},90,0.000", f"{FRAME_B},88,1.000"]},
            },
        ],
    }


def test_json_refuses_two_values_of_one_algorithm_in_an_item() -> None:
    with pytest.raises(ValueError, match="two md5 values"):
        rendered(render_json(1, [(ID1, "image", 1, [("md5", MD5), ("md5", MD5)])]))


def test_threatexchange_lines_are_signal_type_space_value() -> None:
    rows = [("pdq", PDQ), ("video_md5", MD5), ("vpdq", VPDQ)]
    assert rendered(render_threatexchange(rows)) == (
        b"pdq 0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f\n"
        b"video_md5 00000000000000000000000000000001\n"
        b'vpdq ["abababababababababababababababababababababababababababababababab,90,0.000",'
        b'"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd,88,1.000"]\n'
    )


@pytest.mark.parametrize(
    ("media_type", "algorithm", "expected"),
    [
        ("image", "pdq", ("pdq", "v")),
        ("video", "md5", ("video_md5", "v")),
        ("video", "vpdq", ("vpdq", "v")),
        ("image", "md5", None),
        ("image", "sha1", None),
        ("video", "sha256", None),
        ("image", "photodna", None),
    ],
)
def test_threatexchange_signal_types_cover_pdq_video_md5_and_vpdq(
    media_type: str, algorithm: str, expected: tuple[str, str] | None
) -> None:
    assert threatexchange_rows_for(media_type, algorithm, "v") == expected


@pytest.mark.parametrize("row", [("pdq", "0f 0f"), ("pdq", ""), ("", PDQ), ("video md5", MD5), ("pdq", "0f\t")])
def test_threatexchange_refuses_blanks_the_reader_would_split_on(row: tuple[str, str]) -> None:
    with pytest.raises(ValueError, match="no whitespace"):
        rendered(render_threatexchange([row]))


def test_vics_writes_media_records_with_md5_sha1_photodna_and_category() -> None:
    """DESIGN.md: Media records carry MD5, SHA1, PhotoDNA and Category. PhotoDNA is a member of the
    record, and is repeated under AlternativeHashes for readers that look only there."""
    body = rendered(render_vics(VICS_ITEMS))
    assert body == (
        b'{"odata.metadata":"http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media","value":[\n'
        b'{"MediaID":"00000000-0000-4000-8000-000000000001","Category":1,'
        b'"MD5":"00000000000000000000000000000001","SHA1":"0000000000000000000000000000000000000002",'
        b'"PhotoDNA":"' + PHOTODNA.encode() + b'",'
        b'"AlternativeHashes":[{"HashName":"PhotoDNA","HashValue":"' + PHOTODNA.encode() + b'"}]},\n'
        b'{"MediaID":"00000000-0000-4000-8000-000000000003","Category":1,'
        b'"MD5":"00000000000000000000000000000003"}\n'
        b"]}\n"
    )
    document = json.loads(body)
    assert list(document) == ["odata.metadata", "value"]  # VICS readers require this key order
    assert [record["MediaID"] for record in document["value"]] == [ID1, ID3]
    media = document["value"][0]
    assert (media["MD5"], media["SHA1"], media["PhotoDNA"], media["Category"]) == (MD5, SHA1, PHOTODNA, 1)
    assert "PhotoDNA" not in document["value"][1]
    assert rendered(render_vics(VICS_ITEMS)) == body  # deterministic


def test_vics_with_only_unmatchable_items_is_an_empty_list() -> None:
    body = rendered(render_vics([(ID2, "video", {"vpdq": VPDQ})]))
    assert json.loads(body)["value"] == []
    assert body.endswith(b',"value":[\n]}\n')


def test_delta_lists_changes_with_csv_quoting() -> None:
    body = rendered(render_delta(DELTA_ROWS))
    assert body == (
        b"change,item_id,media_type,algorithm,value\n"
        b'added,00000000-0000-4000-8000-000000000002,video,vpdq,"[""'
        b"abababababababababababababababababababababababababababababababab,90,0.000"
        b'"",""'
        b"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd,88,1.000"
        b'""]"\n'
        b"removed,00000000-0000-4000-8000-000000000001,image,md5,00000000000000000000000000000001\n"
    )
    header, *rows = csv.reader(io.StringIO(body.decode("utf-8"), newline=""))
    assert header == ["change", "item_id", "media_type", "algorithm", "value"]
    assert rows == [list(row) for row in DELTA_ROWS]


def test_delta_refuses_an_unknown_change() -> None:
    with pytest.raises(ValueError, match="change must be one of added, removed"):
        rendered(render_delta([("changed", ID1, "image", "md5", MD5)]))


# --- properties shared by every format --------------------------------------------------------

RENDERERS: dict[str, Callable[[], Iterator[bytes]]] = {
    "csv": lambda: render_csv(CSV_ROWS),
    "values": lambda: render_values([VPDQ]),
    "json": lambda: render_json(4, JSON_ITEMS),
    "threatexchange": lambda: render_threatexchange([("pdq", PDQ), ("vpdq", VPDQ)]),
    "vics": lambda: render_vics(VICS_ITEMS),
    "delta": lambda: render_delta(DELTA_ROWS),
}


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_every_format_is_deterministic_utf8_with_lf_and_no_bom(name: str) -> None:
    first, second = rendered(RENDERERS[name]()), rendered(RENDERERS[name]())
    assert first == second
    assert not first.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in first
    assert first.endswith(b"\n")
    first.decode("utf-8")


@pytest.mark.parametrize(
    ("render", "expected"),
    [
        (lambda: render_csv([]), b"item_id,media_type,algorithm,value,added_in_version\n"),
        (lambda: render_values([]), b""),
        (lambda: render_json(1, []), b'{"version":1,"items":[\n]}\n'),
        (lambda: render_threatexchange([]), b""),
        (
            lambda: render_vics([]),
            b'{"odata.metadata":"http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media","value":[\n]}\n',
        ),
        (lambda: render_delta([]), b"change,item_id,media_type,algorithm,value\n"),
    ],
)
def test_empty_input_renders_an_empty_file_of_its_format(
    render: Callable[[], Iterator[bytes]], expected: bytes
) -> None:
    assert rendered(render()) == expected


@pytest.mark.parametrize(
    "render",
    [
        lambda: render_csv([CSV_ROWS[1], CSV_ROWS[0]]),
        lambda: render_csv([CSV_ROWS[0], CSV_ROWS[0]]),
        lambda: render_values(["b", "a"]),
        lambda: render_values(["a", "a"]),
        lambda: render_json(1, [JSON_ITEMS[1], JSON_ITEMS[0]]),
        lambda: render_json(1, [JSON_ITEMS[0], JSON_ITEMS[0]]),
        lambda: render_threatexchange([("vpdq", VPDQ), ("pdq", PDQ)]),
        lambda: render_vics([VICS_ITEMS[2], VICS_ITEMS[0]]),
        lambda: render_delta([DELTA_ROWS[1], DELTA_ROWS[0]]),
    ],
)
def test_out_of_order_or_repeated_input_fails_the_build(render: Callable[[], Iterator[bytes]]) -> None:
    with pytest.raises(ExportOrderError, match="does not sort bytewise"):
        rendered(render())


def test_bytewise_order_is_not_case_insensitive_order() -> None:
    # "B" (0x42) sorts before "a" (0x61) in COLLATE "C", whatever a locale would say.
    assert rendered(render_values(["B", "a"])) == b"B\na\n"
    with pytest.raises(ExportOrderError):
        rendered(render_values(["a", "B"]))


def test_a_line_break_inside_a_value_is_refused() -> None:
    with pytest.raises(ValueError, match="line break"):
        rendered(render_values(["a\nb"]))


def test_a_million_row_build_streams_in_bounded_chunks() -> None:
    total = 200_000
    consumed = 0

    def rows() -> Iterator[tuple[str, str, str, str, int]]:
        nonlocal consumed
        for number in range(total):
            consumed += 1
            yield f"00000000-0000-4000-8000-{number:012x}", "image", "md5", f"{number:032x}", 1

    chunks = render_csv(rows())
    first = next(chunks)
    # The first chunk leaves after about one chunk's worth of rows: the input is not read ahead.
    assert consumed < 2 * CHUNK_SIZE // 80
    line_size = len(first.split(b"\n")[1]) + 1
    sizes = [len(first)] + [len(chunk) for chunk in chunks]
    assert len(sizes) > 1
    assert all(CHUNK_SIZE <= size <= CHUNK_SIZE + line_size for size in sizes[:-1])
    assert 0 < sizes[-1] <= CHUNK_SIZE + line_size
    assert consumed == total
    assert sum(sizes) == len(exports.CSV_HEADER) + 1 + total * line_size


@given(st.sampled_from((32, 40, 64)).flatmap(lambda n: st.sets(st.text("0123456789abcdef", min_size=n, max_size=n))))
def test_values_file_lists_every_sorted_value_on_its_own_line(values: set[str]) -> None:
    ordered = sorted(values)
    body = rendered(render_values(ordered))
    assert body.split(b"\n")[:-1] == [value.encode() for value in ordered]
    assert body == b"" or body.endswith(b"\n")


# --- read by python-threatexchange itself -------------------------------------------------------


def test_python_threatexchange_local_file_reads_the_threatexchange_file(
    tmp_path, threatexchange_signal_types: list[type]
) -> None:
    from threatexchange.exchanges.impl.file_api import FileCollaborationConfig, LocalFileSignalExchangeAPI

    signatures = [("image", "pdq", PDQ), ("image", "md5", MD5), ("video", "md5", MD5), ("video", "vpdq", VPDQ)]
    rows = sorted(row for row in (threatexchange_rows_for(*s) for s in signatures) if row is not None)
    path = tmp_path / "baseline-v1.threatexchange.txt"
    path.write_bytes(rendered(render_threatexchange(rows)))

    collab = FileCollaborationConfig(name="baseline", filename=str(path))
    api = LocalFileSignalExchangeAPI.for_collab(collab)
    assert api.get_name() == "local_file"
    updates: dict = {}
    for delta in api.fetch_iter(threatexchange_signal_types, None):
        updates.update(delta.updates)
    by_type = api.naive_convert_to_signal_type(threatexchange_signal_types, collab, updates)

    parsed = {signal_type.get_name(): sorted(signals) for signal_type, signals in by_type.items()}
    assert parsed == {"pdq": [PDQ], "video_md5": [MD5], "vpdq": [VPDQ]}
    for signal_type, signals in by_type.items():
        for signal in signals:
            assert signal_type.validate_signal_str(signal) == signal
