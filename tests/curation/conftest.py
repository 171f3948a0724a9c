"""Fixtures shared by the curation tests."""

from __future__ import annotations

import importlib.util
import sys
import types
from collections.abc import Iterator

import pytest


@pytest.fixture
def threatexchange_signal_types(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[type]]:
    """pdq, video_md5 and vpdq as python-threatexchange defines them (a pinned dev dependency).

    The vpdq extension imports the native `vpdq` hashing module only to hash video files; parsing a
    signal is pure Python. Where that module cannot be built, a stand-in lets the real parser load.
    """
    stubbed = importlib.util.find_spec("vpdq") is None
    if stubbed:
        stand_in = types.ModuleType("vpdq")
        stand_in.VpdqFeature = object  # type: ignore[attr-defined]  # used only in annotations
        monkeypatch.setitem(sys.modules, "vpdq", stand_in)
    from threatexchange.extensions.vpdq.vpdq import VPDQSignal
    from threatexchange.signal_type.md5 import VideoMD5Signal
    from threatexchange.signal_type.pdq.signal import PdqSignal

    yield [PdqSignal, VideoMD5Signal, VPDQSignal]
    if stubbed:  # nothing loaded against the stand-in may outlive this test
        for name in [name for name in sys.modules if name.startswith("threatexchange.extensions.vpdq")]:
            del sys.modules[name]
