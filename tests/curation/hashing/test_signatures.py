"""Property tests of the algorithm table (curation.signatures, DESIGN.md section 2). Pure: no database."""

from __future__ import annotations

import base64
import json
import re

import pytest
from baseline_client.hashing import signatures
from baseline_client.hashing.signatures import SignatureError, check_quality, normalise
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.curation.helpers import vpdq_importable

HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "pdq": 64}
HEX_ALGORITHMS = st.sampled_from(sorted(HEX_LENGTHS))
ALL_ALGORITHMS = st.sampled_from(sorted(signatures.ALGORITHMS))

# What `str.strip()` removes: ASCII blanks and Unicode spaces alike.
BLANKS = st.text(alphabet=" \t\r\n\x0b\x0c\u00a0\u2003\u3000", max_size=4)


def hex_of(length: int, alphabet: str = "0123456789abcdef") -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=length, max_size=length)


@st.composite
def hex_value(draw: st.DrawFn, *, mixed_case: bool = False) -> tuple[str, str]:
    algorithm = draw(HEX_ALGORITHMS)
    alphabet = "0123456789abcdefABCDEF" if mixed_case else "0123456789abcdef"
    return algorithm, draw(hex_of(HEX_LENGTHS[algorithm], alphabet))


def _raises_naming(algorithm: str, value: object, **kwargs: object) -> SignatureError:
    with pytest.raises(SignatureError) as caught:
        normalise(algorithm, value, **kwargs)  # type: ignore[arg-type]
    assert str(caught.value).startswith(f"{algorithm}:"), str(caught.value)
    return caught.value


# ---------------------------------------------------------------------------------------------------
# Hex algorithms.


@given(hex_value(mixed_case=True), BLANKS, BLANKS)
def test_hex_case_and_surrounding_blanks_normalise_to_one_value(case: tuple[str, str], before: str, after: str) -> None:
    algorithm, value = case
    assert normalise(algorithm, before + value + after) == value.lower()
    assert normalise(algorithm, value.upper()) == normalise(algorithm, value.lower()) == value.lower()


@given(HEX_ALGORITHMS, st.text())
def test_hex_accepts_exactly_its_form(algorithm: str, value: str) -> None:
    pattern = re.compile(rf"[0-9a-f]{{{HEX_LENGTHS[algorithm]}}}")
    if pattern.fullmatch(value.strip().lower()):
        assert normalise(algorithm, value) == value.strip().lower()
    else:
        message = str(_raises_naming(algorithm, value))
        assert f"{HEX_LENGTHS[algorithm]} hexadecimal characters" in message


@given(hex_value(), st.sampled_from("gxz -:é"), st.integers(min_value=1, max_value=30))
def test_hex_of_the_wrong_length_or_with_a_stray_character_is_refused(
    case: tuple[str, str], stray: str, at: int
) -> None:
    algorithm, value = case
    _raises_naming(algorithm, value[:-1])
    _raises_naming(algorithm, value + "0")
    _raises_naming(algorithm, value[:at] + stray + value[at + 1 :])


# ---------------------------------------------------------------------------------------------------
# Every algorithm.


@given(ALL_ALGORITHMS, st.text())
def test_normalise_is_idempotent_on_anything_it_accepts(algorithm: str, value: str) -> None:
    try:
        canonical = normalise(algorithm, value)
    except SignatureError as error:
        assert str(error).startswith(f"{algorithm}:")
        return
    assert normalise(algorithm, canonical) == canonical


@given(hex_value())
def test_hex_canonical_form_is_idempotent(case: tuple[str, str]) -> None:
    algorithm, value = case
    assert normalise(algorithm, normalise(algorithm, value)) == value


@given(ALL_ALGORITHMS, st.one_of(st.none(), st.integers(), st.binary(), st.lists(st.text(), max_size=2)))
def test_non_strings_are_refused(algorithm: str, value: object) -> None:
    _raises_naming(algorithm, value)


def test_algorithm_applies_only_to_its_media_types() -> None:
    _raises_naming("pdq", "0" * 64, media_type="video")
    _raises_naming("vpdq", json.dumps([f"{'0' * 64},80,0.000"]), media_type="image")
    assert normalise("md5", "0" * 32, media_type="video") == "0" * 32


def test_unknown_algorithm_is_refused_by_name() -> None:
    with pytest.raises(SignatureError, match=r"^unknown algorithm 'crc32'"):
        normalise("crc32", "00000000")


# ---------------------------------------------------------------------------------------------------
# PhotoDNA: 144 bytes of standard base64, case preserved.

PHOTODNA = st.binary(min_size=144, max_size=144).map(lambda raw: base64.b64encode(raw).decode())


@given(PHOTODNA, BLANKS, BLANKS)
def test_photodna_round_trips_unchanged(value: str, before: str, after: str) -> None:
    assert len(value) == 192
    assert normalise("photodna", value) == value
    assert normalise("photodna", before + value + after) == value
    assert normalise("photodna", normalise("photodna", value)) == value


@given(PHOTODNA)
def test_photodna_case_is_preserved(value: str) -> None:
    # Base64 is case-sensitive: swapping case gives other (still valid) bytes, never the same value.
    swapped = value.swapcase()
    assert normalise("photodna", swapped) == swapped
    assume(swapped != value)
    assert base64.b64decode(swapped) != base64.b64decode(value)


@given(st.binary(max_size=300).filter(lambda raw: len(raw) != 144))
def test_photodna_of_the_wrong_length_is_refused(raw: bytes) -> None:
    _raises_naming("photodna", base64.b64encode(raw).decode())


@given(PHOTODNA, st.integers(min_value=0, max_value=191), st.sampled_from("-_.!* é"))
def test_photodna_outside_standard_base64_is_refused(value: str, at: int, bad: str) -> None:
    _raises_naming("photodna", value[:at] + bad + value[at + 1 :])


# ---------------------------------------------------------------------------------------------------
# vPDQ: a JSON list of "pdq_hex,quality,timestamp" strings.

TIMESTAMPS = st.floats(min_value=0, max_value=10_000_000, allow_nan=False, allow_infinity=False)


@st.composite
def vpdq_frame(draw: st.DrawFn, min_quality: int = 0) -> str:
    pdq_hex = draw(hex_of(64, "0123456789abcdefABCDEF"))
    quality = draw(st.integers(min_value=min_quality, max_value=100))
    timestamp = draw(TIMESTAMPS)
    decimals = draw(st.integers(min_value=0, max_value=6))
    padding = draw(st.sampled_from(["", " ", "\t"]))
    return f"{padding}{pdq_hex},{quality},{timestamp:.{decimals}f}{padding}"


# At least one usable frame (quality >= 50), anywhere in the list.
VPDQ = st.tuples(st.lists(vpdq_frame(), max_size=7), vpdq_frame(min_quality=50), st.integers(0, 7)).map(
    lambda parts: [*parts[0][:parts[2]], parts[1], *parts[0][parts[2]:]])
CANONICAL_FRAME = re.compile(r"[0-9a-f]{64},(\d|[1-9]\d|100),(0|[1-9]\d*)\.\d{3}")


@given(VPDQ)
def test_vpdq_canonical_form_is_idempotent(frames: list[str]) -> None:
    canonical = normalise("vpdq", json.dumps(frames, indent=1))
    assert normalise("vpdq", canonical) == canonical
    parsed = json.loads(canonical)
    assert len(parsed) == len(frames)
    assert all(CANONICAL_FRAME.fullmatch(frame) for frame in parsed), parsed
    assert canonical == json.dumps(parsed, separators=(",", ":"))


@given(VPDQ)
def test_vpdq_case_and_layout_do_not_matter(frames: list[str]) -> None:
    lower = normalise("vpdq", json.dumps([frame.strip().lower() for frame in frames]))
    assert normalise("vpdq", "  " + json.dumps([frame.upper() for frame in frames], indent=2) + "\n") == lower


@given(VPDQ, st.integers(min_value=101, max_value=999))
def test_vpdq_quality_above_100_is_refused(frames: list[str], quality: int) -> None:
    pdq_hex, _, timestamp = frames[0].strip().split(",")
    _raises_naming("vpdq", json.dumps([f"{pdq_hex},{quality},{timestamp}", *frames[1:]]))


@pytest.mark.parametrize(
    "value",
    ["", "[]", "{}", '"frame"', "not json", "[1]", '["abc,50,1.0"]', json.dumps([f"{'0' * 64},50"])],
)
def test_vpdq_malformed_values_are_refused(value: str) -> None:
    _raises_naming("vpdq", value)


def test_a_vpdq_value_without_a_usable_frame_is_refused() -> None:
    _raises_naming("vpdq", json.dumps([f"{'1' * 64},49,0.000", f"{'2' * 64},0,1.000"]))
    assert normalise("vpdq", json.dumps([f"{'1' * 64},49,0.000", f"{'2' * 64},50,1.000"]))


def test_vpdq_deeply_nested_json_is_refused() -> None:
    _raises_naming("vpdq", "[" * 100_000)


def test_vpdq_timestamp_beyond_float_range_is_refused() -> None:
    _raises_naming("vpdq", json.dumps([f"{'0' * 64},50,{'9' * 400}"]))


def test_vpdq_non_ascii_digits_are_refused() -> None:
    _raises_naming("vpdq", json.dumps([f"{'0' * 64},\u0665\u0660,1.0"]))


@pytest.mark.parametrize(
    ("timestamp", "canonical"),
    [
        ("1e+02", "100.000"),  # python-threatexchange's `:.3` for 100.0
        ("1.23e+03", "1230.000"),  # ...and for 1234.5: three significant digits
        ("1.2e+04", "12000.000"),
        ("0.0333", "0.033"),
        ("0.5", "0.500"),
        ("100", "100.000"),
        ("100.000", "100.000"),
        ("0", "0.000"),
        ("-0.0", "0.000"),
        ("1e+23", "100000000000000000000000.000"),  # the decimal it reads as, not the binary's digits
        ("12.3456", "12.346"),
        ("1.0005", "1.001"),  # half up, from the shortest decimal of the float
    ],
)
def test_vpdq_timestamps_in_any_float_form_get_one_canonical_form(timestamp: str, canonical: str) -> None:
    value = normalise("vpdq", json.dumps([f"{'a' * 64},90,{timestamp}"]))
    assert json.loads(value) == [f"{'a' * 64},90,{canonical}"]


@pytest.mark.parametrize("timestamp", ["nan", "NaN", "inf", "-inf", "Infinity", "-1", "-0.001", "-1e+02", "1e999", "",
                                       "1.0.0", "0x10", "\u0661"])
def test_vpdq_timestamps_that_are_not_finite_non_negative_numbers_are_refused(timestamp: str) -> None:
    _raises_naming("vpdq", json.dumps([f"{'a' * 64},90,{timestamp}"]))


@pytest.fixture(scope="module")
def threatexchange_vpdq():
    """python-threatexchange's own vPDQ serialisation (`vpdq_util`)."""
    with vpdq_importable():
        from threatexchange.extensions.vpdq import vpdq_util

        yield vpdq_util


THREATEXCHANGE_FRAMES = st.lists(
    st.tuples(
        hex_of(64, "0123456789abcdefABCDEF"),
        st.integers(min_value=0, max_value=100),
        st.one_of(
            # Below 1.795e308, where threatexchange's 3 significant digits would round up to infinity.
            st.floats(min_value=0, max_value=1e308, allow_nan=False),
            st.floats(min_value=0, max_value=100_000, allow_nan=False),
            st.integers(min_value=0, max_value=10**6).map(lambda ms: ms / 1000),
        ),
    ),
    min_size=1, max_size=20,
).filter(lambda frames: any(q >= signatures.PDQ_MIN_QUALITY for _, q, _ in frames))  # one usable frame


@given(frames=THREATEXCHANGE_FRAMES)
def test_vpdq_from_threatexchanges_vpdq_to_json_is_accepted_and_reads_back(threatexchange_vpdq, frames) -> None:
    features = [threatexchange_vpdq.VpdqCompactFeature(h, q, t) for h, q, t in frames]
    exported = threatexchange_vpdq.vpdq_to_json(features)
    canonical = normalise("vpdq", exported)
    assert normalise("vpdq", canonical) == canonical
    assert normalise("vpdq", threatexchange_vpdq.vpdq_to_json(threatexchange_vpdq.json_to_vpdq(canonical))) == canonical
    back = threatexchange_vpdq.json_to_vpdq(canonical)  # what a partner's threatexchange reads from a release
    sent = threatexchange_vpdq.json_to_vpdq(exported)
    assert [(f.pdq_hex, f.quality) for f in back] == [(h.lower(), q) for h, q, _ in frames]
    for ours, theirs in zip(back, sent, strict=True):
        # Only rounding to the millisecond, relative to the value's own float precision when huge.
        assert abs(ours.timestamp - theirs.timestamp) <= 0.0005 + abs(theirs.timestamp) * 1e-15


# ---------------------------------------------------------------------------------------------------
# PDQ quality.


@given(st.integers(min_value=signatures.PDQ_MIN_QUALITY, max_value=100))
def test_quality_from_50_to_100_is_accepted(quality: int) -> None:
    check_quality("pdq", quality)


@given(st.integers(min_value=0, max_value=signatures.PDQ_MIN_QUALITY - 1))
def test_quality_below_50_is_refused(quality: int) -> None:
    with pytest.raises(SignatureError, match=rf"^pdq: quality {quality} is below 50"):
        check_quality("pdq", quality)


@given(
    st.one_of(
        st.booleans(),
        st.floats(),
        st.text(),
        st.integers(max_value=-1),
        st.integers(min_value=101),
        st.decimals(allow_nan=False),
    )
)
def test_quality_must_be_a_whole_number_from_0_to_100(quality: object) -> None:
    with pytest.raises(SignatureError, match=r"^pdq: quality must be a whole number from 0 to 100"):
        check_quality("pdq", quality)  # type: ignore[arg-type]


def test_no_quality_is_fine() -> None:
    check_quality("pdq", None)


@given(st.sampled_from(sorted(set(signatures.ALGORITHMS) - {"pdq"})), st.integers(min_value=0, max_value=100))
def test_only_pdq_takes_a_quality(algorithm: str, quality: int) -> None:
    with pytest.raises(SignatureError, match=rf"^{algorithm}: takes no quality"):
        check_quality(algorithm, quality)
    check_quality(algorithm, None)
