"""`baseline`: the partner client's commands (DESIGN.md section 10; README "Partner client")."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from baseline_client import __version__, errors, mirror
from baseline_client.errors import Failure
from baseline_client.http import read_token


def _formats(text: str) -> tuple[str, ...]:
    return tuple(f.strip() for f in text.split(",") if f.strip())


def _sync(args) -> str:
    return mirror.sync(mirror.SyncOptions(
        url=args.url, directory=Path(args.dir), token=read_token(args.token_file), list_name=args.list,
        public_key=args.public_key, trust_server_key=args.trust_server_key, formats=_formats(args.formats),
        max_age_days=args.max_age))


def _verify(args) -> str:
    return mirror.verify(Path(args.dir), max_age_days=args.max_age)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="baseline", description="The Baseline partner client.")
    top.add_argument("--version", action="version", version=f"baseline-client {__version__}")
    commands = top.add_subparsers(dest="command", required=True)

    sync = commands.add_parser("sync", help="mirror the latest release of a list, verified")
    sync.add_argument("url", help="the service's address, e.g. https://baseline.example.org")
    sync.add_argument("dir", help="the mirror's folder")
    sync.add_argument("--token-file", required=True, help="a file holding your API token")
    sync.add_argument("--public-key", help="the list's signing key: base64 of the raw Ed25519 key, or a file")
    sync.add_argument("--trust-server-key", action="store_true",
                      help="on the first sync only, pin the key the server names (confirm its fingerprint)")
    sync.add_argument("--list", default="baseline", choices=("baseline", "worst-of"))
    sync.add_argument("--formats", default="", help="formats besides csv, comma-separated (pdq,md5,csv.gz,...)")
    sync.add_argument("--max-age", type=float, default=7.0, metavar="DAYS",
                      help="exit 3 when the newest verified release is older (default 7)")
    sync.set_defaults(run=_sync)

    verify = commands.add_parser("verify", help="check a mirror offline")
    verify.add_argument("dir")
    verify.add_argument("--max-age", type=float, default=7.0, metavar="DAYS")
    verify.set_defaults(run=_verify)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        print(args.run(args))
    except Failure as failure:
        print(f"baseline {args.command}: {errors.NAMES.get(failure.status, 'error')} check failed: "
              f"{failure.message}", file=sys.stderr)
        return failure.status
    except KeyboardInterrupt:
        print(f"baseline {args.command}: interrupted; the previous verified version is in place", file=sys.stderr)
        return 130
    return errors.OK


if __name__ == "__main__":
    sys.exit(main())
