"""What the image and video hashers share: the error they raise and how a PDQ bit vector is written."""

from __future__ import annotations

import numpy as np


class MediaError(Exception):
    """A file we refuse to hash; `status` is the HTTP status, `code` a short machine-readable reason."""

    def __init__(self, message: str, *, code: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def pdq_hex(bits: np.ndarray) -> str:
    """The reference hex of pdqhash's bit vector.

    pdqhash returns the bits reversed (its hash_to_vector ends in [::-1]): element 0 is bit 255 of
    the reference Hash256, element 255 is bit 0. The reference hex string (Hash256::format) prints
    the sixteen 16-bit words from w[15] down to w[0], most significant bit first, i.e. bit 255 first.
    So the vector read in order, most significant bit first, is the reference hex. Verified on the
    19 reference hashes in testdata/pdq: 0 bits off (10 for the featureless q0003.jpg); read in the
    opposite order they are 120-152 bits off, i.e. unrelated."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()
