"""Fixtures shared by the curation tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.curation.helpers import vpdq_importable


@pytest.fixture
def threatexchange_signal_types() -> Iterator[list[type]]:
    """pdq, video_md5 and vpdq as python-threatexchange defines them (a pinned dev dependency).

    The vpdq extension imports the native `vpdq` hashing module only to hash video files; parsing a
    signal is pure Python. Where that module cannot be built, a stand-in lets the real parser load.
    """
    with vpdq_importable():
        from threatexchange.extensions.vpdq.vpdq import VPDQSignal
        from threatexchange.signal_type.md5 import VideoMD5Signal
        from threatexchange.signal_type.pdq.signal import PdqSignal

        yield [PdqSignal, VideoMD5Signal, VPDQSignal]
