"""A verified mirror of one list's releases (DESIGN.md section 10).

Layout of DIR:

    current -> versions/vN       the verified release in use (a symlink, switched atomically)
    versions/vN/                 its files, and .mirror.json: list, server, pinned key, version
    manifests/                   every manifest and signature since the first version taken
    .partial/                    downloads under way (resumed with Range), staging of the next version

Nothing under `current` changes until every check of the new version has passed: the new version
is assembled in `.partial/`, moved to `versions/`, and `current` is replaced by a rename. A crash
or a failed check leaves the previous verified version in place.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from baseline_client import rebuild, trust
from baseline_client.errors import CHAIN, FROZEN, ROLLBACK, UNTRUSTED, USAGE, Failure
from baseline_client.http import Service

STATE = ".mirror.json"


@dataclass
class State:
    """What a verified version of the mirror records about itself."""

    list: str
    server: str
    version: int
    first_version: int
    key: str  # base64 of the raw key that verified this version
    announced_key: str | None  # a successor the newest manifest announced
    anchor_key: str  # the key pinned when the mirror began, which verified first_version
    formats: list[str]

    @classmethod
    def read(cls, directory: Path) -> State | None:
        path = directory / "current" / STATE
        if not path.exists():
            return None
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as exc:
            raise Failure(USAGE, f"{path} is not a mirror's state ({exc})") from None

    def keys(self) -> trust.Keys:
        announced = trust.parse_key(self.announced_key) if self.announced_key else None
        return trust.Keys(trust.parse_key(self.key), announced)


def _manifest_paths(directory: Path, version: int) -> tuple[Path, Path]:
    folder = directory / "manifests"
    return folder / f"baseline-v{version}.manifest.json", folder / f"baseline-v{version}.signature.json"


def read_manifest(directory: Path, version: int) -> trust.Manifest:
    manifest, signature = _manifest_paths(directory, version)
    try:
        return trust.Manifest.parse(manifest.read_bytes(), signature.read_bytes(), f"release {version}")
    except OSError as exc:
        raise Failure(USAGE, f"the mirror lacks release {version}'s manifest or signature: {exc}") from None


def _created(manifest: trust.Manifest) -> datetime:
    try:
        return datetime.fromisoformat(manifest.fields["created_at"].replace("Z", "+00:00"))
    except (KeyError, ValueError, AttributeError):
        raise Failure(FROZEN, f"release {manifest.version}'s manifest has no valid created_at") from None


def check_age(manifest: trust.Manifest, max_age_days: float) -> str:
    """Exit status 3 when the newest verified release is older than max_age_days (a frozen feed)."""
    age = datetime.now(timezone.utc) - _created(manifest)
    if math.isfinite(max_age_days) and age > timedelta(days=max_age_days):
        raise Failure(FROZEN, f"the newest verified release, {manifest.version}, was made {age.days} days ago, more "
                              f"than --max-age {max_age_days:g}: the feed looks frozen. Ask the list's operators "
                              "whether publication has stopped.")
    return f"release {manifest.version}, made {age.days} day(s) ago"


# ---------------------------------------------------------------------------------------------------
# sync


@dataclass
class SyncOptions:
    url: str
    directory: Path
    token: str
    list_name: str = "baseline"
    public_key: str | None = None
    trust_server_key: bool = False
    formats: tuple[str, ...] = ()
    max_age_days: float | None = 7.0  # None: no frozen-feed check (the caller makes its own)


def _pinned(options: SyncOptions, state: State | None, service: Service) -> trust.Keys:
    if state is not None:
        if options.public_key and trust.parse_key(options.public_key) not in (
                trust.parse_key(state.key), trust.parse_key(state.anchor_key)):
            raise Failure(UNTRUSTED, f"the mirror in {options.directory} pins key "
                                     f"{trust.key_id(trust.parse_key(state.key))}; --public-key names another. "
                                     "Start a new mirror in an empty folder to change the trusted key.")
        return state.keys()
    if options.public_key:
        return trust.Keys(trust.parse_key(options.public_key))
    if not options.trust_server_key:
        raise Failure(UNTRUSTED, "no key to verify with: give --public-key (from the list's operators), or "
                                 "--trust-server-key to pin the key the server names, on this first sync only")
    active = [k for k in service.signing_keys() if k.get("active")]
    if len(active) != 1:
        raise Failure(UNTRUSTED, "the server names no single active signing key to pin")
    raw = trust.parse_key(active[0]["public_key"])
    print(f"pinned the server's key {trust.key_id(raw)} (fingerprint {trust.fingerprint(raw)}): confirm it with "
          "the list's operators")
    return trust.Keys(raw)


def sync(options: SyncOptions) -> str:
    directory = options.directory
    directory.mkdir(parents=True, exist_ok=True)
    state = State.read(directory)
    if state is not None and state.list != options.list_name:
        raise Failure(USAGE, f"{directory} mirrors the {state.list} list, not {options.list_name}")
    service = Service(options.url, options.token, options.list_name)
    keys = _pinned(options, state, service)
    anchor = trust.encode_key(keys.current) if state is None else state.anchor_key
    latest = service.latest_version()
    held = state.version if state is not None else None
    if held is not None and latest < held:
        raise Failure(ROLLBACK, f"the service offers release {latest}, older than release {held} which this mirror "
                                "holds: refused (a rollback, or a misconfigured service)")
    formats = _formats(options, state)
    if held == latest and set(formats) <= set(state.formats):
        newest = read_manifest(directory, held)
        return "up to date: " + _age(newest, options.max_age_days)

    previous = read_manifest(directory, held) if held is not None else None
    chain: list[trust.Manifest] = []
    for version in range((held + 1) if held is not None else latest, latest + 1):
        manifest = trust.Manifest.parse(*service.manifest(version), f"release {version}")
        if manifest.version != version:
            raise Failure(CHAIN, f"the manifest served as release {version} is release {manifest.version}'s")
        keys.check(manifest, options.list_name)
        trust.check_chain(previous, manifest)
        chain.append(manifest)
        previous = manifest
    newest = chain[-1] if chain else read_manifest(directory, latest)
    staging = directory / ".partial" / f"v{latest}"
    staging.mkdir(parents=True, exist_ok=True)
    _assemble(service, directory, state, chain, newest, formats, staging)
    for manifest in chain:
        _save_manifest(directory, manifest)
    new_state = State(list=options.list_name, server=options.url, version=latest,
                      first_version=state.first_version if state is not None else latest,
                      key=trust.encode_key(keys.current),
                      announced_key=trust.encode_key(keys.announced) if keys.announced else None,
                      anchor_key=anchor, formats=sorted(formats))
    _switch(directory, staging, new_state)
    return f"mirrored release {latest} ({len(formats)} file(s)); " + _age(newest, options.max_age_days)


def _age(manifest: trust.Manifest, max_age_days: float | None) -> str:
    return f"release {manifest.version}" if max_age_days is None else check_age(manifest, max_age_days)


def _formats(options: SyncOptions, state: State | None) -> list[str]:
    wanted = {"csv", *options.formats}
    if state is not None and not options.formats:
        wanted |= set(state.formats)
    return sorted(wanted)


def _assemble(service: Service, directory: Path, state: State | None, chain: list[trust.Manifest],
              newest: trust.Manifest, formats: list[str], staging: Path) -> None:
    files = newest.files()
    unknown = [f for f in formats if f not in files]
    if unknown:
        raise Failure(USAGE, f"release {newest.version} has no file of format(s) {', '.join(unknown)}; it has "
                             f"{', '.join(sorted(files))}")
    rebuilt = _rebuild(service, directory, state, chain, formats, files, staging)
    for file_format in formats:
        entry = files[file_format]
        target = staging / entry["name"]
        if file_format in rebuilt:
            continue
        same = directory / "current" / entry["name"]  # the held version's file (a format added later)
        if state is not None and state.version == newest.version and same.exists() and not target.exists():
            os.link(same, target)
        if not (target.exists() and target.stat().st_size == entry["size"]):
            part = staging / (entry["name"] + ".part")
            _fetch(service, f"{newest.version}/files/{file_format}/", part, entry, newest.version)
            os.replace(part, target)
        _checked(target, entry, newest.version)


def _checked(path: Path, entry: dict, version: int) -> None:
    """Check a file against its manifest entry; one that fails is deleted, so the next run fetches it anew."""
    try:
        trust.check_file(str(path), entry, version)
    except Failure:
        path.unlink(missing_ok=True)
        raise


def _fetch(service: Service, path: str, target: Path, entry: dict, version: int) -> None:
    service.download(service.release_path(path), target, entry["size"], entry["name"])
    _checked(target, entry, version)


def _rebuild(service: Service, directory: Path, state: State | None, chain: list[trust.Manifest],
             formats: list[str], files: dict, staging: Path) -> set[str]:
    """The formats rebuilt from the held version and the chain's deltas, each checked against the
    newest manifest; none when the deltas together are larger than the files they would spare."""
    if state is None or not chain:
        return set()
    candidates = [f for f in formats if f in rebuild.REBUILDABLE and f in state.formats]
    deltas = [m.files().get("delta") for m in chain]
    if not candidates or None in deltas:
        return set()
    if sum(d["size"] for d in deltas) >= sum(files[f]["size"] for f in candidates):
        return set()
    changes = rebuild.Changes()
    for manifest, entry in zip(chain, deltas, strict=True):
        path = staging / entry["name"]
        _fetch(service, f"{manifest.version}/files/delta/", path, entry, manifest.version)
        with open(path, encoding="utf-8", newline="") as handle:
            changes.apply(manifest.version, handle)
        path.unlink()
    held = directory / "current"
    old_manifest = read_manifest(directory, state.version).files()
    done = set()
    for file_format in candidates:
        entry = files[file_format]
        target = staging / entry["name"]
        sha256, size = rebuild.write(file_format, held / old_manifest[file_format]["name"], changes, target)
        if (sha256, size) == (entry["sha256"], entry["size"]):
            done.add(file_format)
        else:
            target.unlink()  # not what the manifest says: downloaded whole instead
    return done


def _save_manifest(directory: Path, manifest: trust.Manifest) -> None:
    manifest_path, signature_path = _manifest_paths(directory, manifest.version)
    manifest_path.parent.mkdir(exist_ok=True)
    for path, data in ((manifest_path, manifest.data),
                       (signature_path, json.dumps({"signature": manifest.signature}).encode())):
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)


def _switch(directory: Path, staging: Path, state: State) -> None:
    (staging / STATE).write_text(json.dumps(state.__dict__, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    versions = directory / "versions"
    versions.mkdir(exist_ok=True)
    final = versions / f"v{state.version}"
    if final.exists():
        shutil.rmtree(final)
    for leftover in staging.glob("*.part"):
        leftover.unlink()
    os.replace(staging, final)
    link = directory / ".partial" / "current.new"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(Path("versions") / final.name)
    os.replace(link, directory / "current")  # the switch: atomic
    for old in versions.iterdir():
        if old != final:
            shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------
# verify


def verify(directory: Path, max_age_days: float = 7.0) -> str:
    """The same checks offline: every manifest from the first taken with the pinned key (following
    announced rotations), the chain, and each file of the current version."""
    state = State.read(directory)
    if state is None:
        raise Failure(USAGE, f"{directory} holds no verified mirror (no current/{STATE})")
    keys = trust.Keys(trust.parse_key(state.anchor_key))
    previous = None
    for version in range(state.first_version, state.version + 1):
        manifest = read_manifest(directory, version)
        if manifest.version != version:
            raise Failure(CHAIN, f"manifests/ holds release {manifest.version}'s manifest as release {version}'s")
        keys.check(manifest, state.list)
        trust.check_chain(previous, manifest)
        previous = manifest
    files = previous.files()
    for file_format in state.formats:
        entry = files[file_format]
        trust.check_file(str(directory / "current" / entry["name"]), entry, state.version)
    return (f"verified release {state.version} ({len(state.formats)} file(s), manifests "
            f"{state.first_version}-{state.version}); " + check_age(previous, max_age_days))
