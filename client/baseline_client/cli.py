"""`baseline`: the partner client's commands (DESIGN.md section 10; README "Partner client")."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from baseline_client import __version__, errors, mirror, scan
from baseline_client.errors import Failure
from baseline_client.http import Service, read_token


def _formats(text: str) -> tuple[str, ...]:
    return tuple(f.strip() for f in text.split(",") if f.strip())


def _sync(args) -> str:
    return mirror.sync(mirror.SyncOptions(
        url=args.url, directory=Path(args.dir), token=read_token(args.token_file), list_name=args.list,
        public_key=args.public_key, trust_server_key=args.trust_server_key, formats=_formats(args.formats),
        max_age_days=args.max_age))


def _verify(args) -> str:
    return mirror.verify(Path(args.dir), max_age_days=args.max_age)


def _hash(args) -> str:
    failed = 0
    for path in args.files:
        _, result, skipped = scan.hash_one(path, args.seconds_per_hash)
        if result is None:
            failed += 1
            print(f"baseline hash: {path}: skipped ({skipped})", file=sys.stderr)
            continue
        # Ready for POST submissions/: fill in external_reference (and note, series, ...).
        body = {"media_type": result["media_type"], "signatures": result["signatures"], "external_reference": ""}
        print(json.dumps({"file": path, **body}, separators=(",", ":")) if len(args.files) > 1
              else json.dumps(body, indent=2))
    if failed:
        raise Failure(errors.MEDIA, f"{failed} of {len(args.files)} file(s) could not be hashed")
    return ""


def _scan(args) -> str:
    summary = scan.scan(args.paths, Path(args.list), jobs=args.jobs, output_format=args.format,
                        seconds_per_hash=args.seconds_per_hash)
    print(summary.line(), file=sys.stderr)
    return ""


def _report(args) -> str:
    service = Service(args.url, read_token(args.token_file))
    if not service.offers("reports/"):
        raise Failure(errors.SERVER, "the server does not offer reports yet (no reports/ endpoint): it runs a "
                                     "Baseline version before match reports")
    if not args.kind or not args.reference:
        raise Failure(errors.USAGE, "--kind and --reference are required")
    if bool(args.item_id) == bool(args.from_file):
        raise Failure(errors.USAGE, "give one ITEM_ID, or --from SCAN.jsonl")
    items = [args.item_id] if args.item_id else _scanned_items(args.from_file)
    report = {"kind": args.kind, "reference": args.reference, "details": args.details or "",
              "share_with_submitter": args.share_with_submitter}
    created = []
    for start in range(0, len(items), REPORT_BATCH):
        batch = [{**report, "item_id": item} for item in items[start:start + REPORT_BATCH]]
        created += service.post_json("reports/", batch)
    return "\n".join(f"reported {r['kind']} on item {r['item_id']}: report {r['id']}" for r in created)


REPORT_BATCH = 500  # the service's most a call


def _scanned_items(path: str) -> list[str]:
    """The distinct items matched in a `baseline scan` output (JSON lines), in order."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        items = [json.loads(line)["item_id"] for line in lines if line.strip()]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise Failure(errors.USAGE, f"{path} is not a baseline scan output (JSON lines with item_id): {exc}") from None
    return list(dict.fromkeys(items))


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

    hashing = commands.add_parser("hash", help="compute a file's signatures as the service does, locally")
    hashing.add_argument("files", nargs="+")
    hashing.add_argument("--seconds-per-hash", type=float, default=0.0,
                         help="videos: one vPDQ frame per this many seconds (default 0: every frame, as listed "
                              "videos are hashed)")
    hashing.set_defaults(run=_hash)

    scanning = commands.add_parser("scan", help="hash files locally and match them against a verified mirror")
    scanning.add_argument("paths", nargs="+", help="files or folders (scanned recursively)")
    scanning.add_argument("--list", required=True, metavar="DIR", help="a mirror made by baseline sync")
    scanning.add_argument("--jobs", type=int, default=1, help="hashing processes (default 1)")
    scanning.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    scanning.add_argument("--seconds-per-hash", type=float, default=1.0,
                          help="videos: one vPDQ frame per this many seconds (default 1)")
    scanning.set_defaults(run=_scan)

    report = commands.add_parser("report", help="report a match or a false positive to the service")
    report.add_argument("url")
    report.add_argument("item_id", nargs="?")
    report.add_argument("--token-file", required=True)
    report.add_argument("--kind", choices=("match", "false_positive"))
    report.add_argument("--reference")
    report.add_argument("--details")
    report.add_argument("--share-with-submitter", action="store_true")
    report.add_argument("--from", dest="from_file", metavar="SCAN.jsonl")
    report.set_defaults(run=_report)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        said = args.run(args)
        if said:
            print(said)
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
