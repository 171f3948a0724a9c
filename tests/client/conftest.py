"""The partner client tested as partners run it: the installed `baseline` console script in a
subprocess, over real HTTP, against pytest-django's live server (its own thread, the test
database), with release files built for real. `TamperProxy` stands between the two where a test
needs the service to misbehave: a changed file, a manifest signed by another key, a release that
does not chain, an older release, a slow download to kill."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

BASELINE = Path(sys.executable).parent / "baseline"
client_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _initial_data(transactional_db) -> None:
    from tests.conftest import ensure_initial_data

    ensure_initial_data()


def run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """The installed console script, as a partner runs it."""
    assert BASELINE.exists(), f"{BASELINE}: install the client (requirements/dev.txt has -e ./client)"
    return subprocess.run([str(BASELINE), *map(str, args)], capture_output=True, text=True, timeout=timeout)


def public_key() -> str:
    from curation.releases import signing, signing_keys

    return base64.b64encode(signing.public_raw(signing_keys.private_key())).decode()


@pytest.fixture
def token_file(personas, tmp_path) -> Path:
    """A partner of the `standard` feed's API token, in a file."""
    from accounts.services import token_create
    from core.actors import SYSTEM
    from curation.releases.services import feed_grant

    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="standard")
    path = tmp_path / "token.txt"
    path.write_text(token_create(actor=SYSTEM, user=personas.partner, name="client")[1] + "\n")
    return path


Rule = Callable[[bytes], bytes]


class TamperProxy:
    """An HTTP proxy to the live server that rewrites the bodies of matching paths (`rules`:
    regex -> function of the body), can slow every body down, and
    records the Range headers it saw. Bodies go out `chunk` bytes at a time, `slow` seconds apart."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.rules: dict[str, Rule] = {}
        self.slow = 0.0
        self.chunk = 65536
        self.ranges: list[tuple[str, str]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "range")}
                if "Range" in headers:
                    proxy.ranges.append((self.path, headers["Range"]))
                answer = requests.get(proxy.upstream + self.path, headers=headers, timeout=60)
                body = answer.content
                for pattern, rule in proxy.rules.items():
                    if re.search(pattern, self.path):
                        body = rule(body)
                self.send_response(answer.status_code)
                for name in ("Content-Type", "Content-Range", "ETag"):
                    if name in answer.headers:
                        self.send_header(name, answer.headers[name])
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    for start in range(0, len(body), proxy.chunk):
                        self.wfile.write(body[start:start + proxy.chunk])
                        self.wfile.flush()
                        if proxy.slow:
                            time.sleep(proxy.slow)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(live_server) -> Iterator[TamperProxy]:
    tamper = TamperProxy(live_server.url)
    yield tamper
    tamper.close()


def resign(manifest: dict, private_key) -> tuple[bytes, bytes]:
    """A manifest's canonical bytes and a signature JSON made with `private_key`."""
    from curation.releases import signing

    body = signing.canonical_manifest(manifest)
    return body, json.dumps({"algorithm": "ed25519", "signature": signing.sign(private_key, body)}).encode()
