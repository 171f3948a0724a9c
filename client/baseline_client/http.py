"""Talking to a Baseline service: its REST API under /api/v1/, a token, resumable downloads."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import requests
from tqdm import tqdm

from baseline_client import __version__
from baseline_client.errors import SERVER, USAGE, Failure

TIMEOUT = 60
_CHUNK = 1 << 16
_LIST_PATHS = {"baseline": "releases/", "worst-of": "lists/worst-of/releases/"}


def read_token(path: str) -> str:
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise Failure(USAGE, f"cannot read the token file {path}: {exc}") from None
    if not token or any(c.isspace() for c in token):
        raise Failure(USAGE, f"the token file {path} does not hold one API token")
    return token


class Service:
    """One Baseline service, as one caller (its API token)."""

    def __init__(self, url: str, token: str, list_name: str = "baseline") -> None:
        if not url.startswith(("https://", "http://")):
            raise Failure(USAGE, f"the service address {url!r} must start with https:// (or http:// for a test)")
        self.root = url.rstrip("/") + "/api/v1/"
        self.list = list_name
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Token {token}",
                                     "User-Agent": f"baseline-client/{__version__}"})

    def _url(self, path: str) -> str:
        return self.root + path

    def release_path(self, rest: str) -> str:
        return _LIST_PATHS[self.list] + rest

    def _get(self, path: str, **kwargs) -> requests.Response:
        try:
            response = self.session.get(self._url(path), timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise Failure(SERVER, f"cannot reach {self.root}: {exc}") from None
        if response.status_code == 404 and path.startswith("lists/"):
            raise Failure(SERVER, f"the service does not offer the {self.list} list (404 for {path})")
        if response.status_code >= 400:
            detail = _detail(response)
            raise Failure(SERVER, f"GET {path}: {response.status_code} {detail}")
        return response

    def json(self, path: str) -> object:
        try:
            return self._get(path).json()
        except ValueError:
            raise Failure(SERVER, f"GET {path}: the answer is not JSON") from None

    def bytes(self, path: str) -> bytes:
        return self._get(path).content

    def post_json(self, path: str, body: object) -> object:
        try:
            response = self.session.post(self._url(path), json=body, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise Failure(SERVER, f"cannot reach {self.root}: {exc}") from None
        if response.status_code >= 400:
            raise Failure(SERVER, f"POST {path}: {response.status_code} {_detail(response)}")
        return response.json()

    def offers(self, path: str) -> bool:
        """Whether the service answers `path` at all (404: an older version without it)."""
        try:
            response = self.session.options(self._url(path), timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise Failure(SERVER, f"cannot reach {self.root}: {exc}") from None
        return response.status_code != 404

    def latest_version(self) -> int:
        answer = self.json(self.release_path("latest/"))
        if not isinstance(answer, dict) or not isinstance(answer.get("version"), int):
            raise Failure(SERVER, "releases/latest/ did not name a version")
        return answer["version"]

    def manifest(self, version: int) -> tuple[bytes, bytes]:
        """(the manifest's exact bytes, the signature JSON) of a release."""
        return (self.bytes(self.release_path(f"{version}/manifest/")),
                self.bytes(self.release_path(f"{version}/signature/")))

    def signing_keys(self) -> list[dict]:
        answer = self.json("signing-keys/")
        return answer if isinstance(answer, list) else []

    def download(self, path: str, target: Path, size: int, label: str) -> None:
        """Fetch `path` into `target`, continuing a partial file where an earlier run stopped
        (`Range`); a server that ignores the range gets the file from the start."""
        have = target.stat().st_size if target.exists() else 0
        if have > size:
            target.unlink()
            have = 0
        if have == size:
            return
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            response = self.session.get(self._url(path), headers=headers, stream=True, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise Failure(SERVER, f"cannot download {label}: {exc}") from None
        if response.status_code not in (200, 206):
            raise Failure(SERVER, f"GET {path}: {response.status_code} {_detail(response)}")
        mode = "ab" if response.status_code == 206 else "wb"
        start = have if response.status_code == 206 else 0
        bar = tqdm(total=size, initial=start, unit="B", unit_scale=True, desc=label, leave=False,
                   disable=not sys.stderr.isatty())
        try:
            with open(target, mode) as out:
                # The bytes as they arrive (a killed run keeps what came), never content-decoded: a
                # .gz file is kept as the manifest hashed it.
                while chunk := response.raw.read1(_CHUNK, decode_content=False):
                    out.write(chunk)
                    bar.update(len(chunk))
                out.flush()
                os.fsync(out.fileno())
        except (requests.RequestException, OSError) as exc:
            raise Failure(SERVER, f"the download of {label} broke off: {exc} (run again to continue it)") from None
        finally:
            bar.close()


def _detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason or ""
    return str(body.get("detail", body)) if isinstance(body, dict) else str(body)
