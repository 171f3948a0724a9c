"""A python-threatexchange extension (DESIGN.md section 10): Baseline as a `SignalExchangeAPI`.

    threatexchange config extensions add baseline_client.threatexchange
    threatexchange config api baseline --credentials TOKEN
    threatexchange config collab edit baseline --create --server URL --public-key KEY NAME [--list worst-of]
    threatexchange fetch
    threatexchange match photo FILE

A fetch mirrors the latest release of the collaboration's list with `baseline_client.mirror.sync`
(the pinned key, the chain, followed rotations, each file's size and SHA-256, an atomic switch)
into a folder of its own, then turns the verified `csv` into signals. The checkpoint is the
release version and its manifest's SHA-256; the next fetch walks the chain back from the newest
verified manifest to the checkpoint's, hash by hash, and applies the signed `delta` files between
them, so an item retracted since reaches python-threatexchange as a deletion. Nothing is yielded
until every check has passed: a failed check fails the fetch and leaves the stored signals as they
were.

Requires `threatexchange` (pip install "baseline-client[threatexchange]"); nothing else in
baseline_client imports this module. No `from __future__ import annotations` here: the
threatexchange CLI reads the collaboration config's field types at run time to build its options.
"""

import csv
import logging
import os
import sys
import tempfile
import typing as t
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from threatexchange.exchanges import auth
from threatexchange.exchanges import fetch_state as state
from threatexchange.exchanges.collab_config import CollaborationConfigWithDefaults
from threatexchange.exchanges.signal_exchange_api import SignalExchangeAPIWithSimpleUpdates
from threatexchange.extensions.manifest import ThreatExchangeExtensionManifest
from threatexchange.signal_type.signal_base import SignalType

from baseline_client import errors, mirror, rebuild, trust
from baseline_client.errors import CHAIN, FILE, ROLLBACK, USAGE, Failure
from baseline_client.http import Service, read_token

logger = logging.getLogger(__name__)

API_NAME = "baseline"
LISTS = ("baseline", "worst-of")
TOKEN_ENV = "TX_BASELINE_TOKEN"  # noqa: S105 - the name of the variable, not a token
CSV_HEADER = ["item_id", "media_type", "algorithm", "value", "added_in_version"]
# Baseline's (media type, algorithm) -> python-threatexchange's signal type name. Image MD5 and
# SHA-256 have no signal type in python-threatexchange 1.2 (its md5 and sha256 are video only).
SIGNAL_TYPES = {
    ("image", "pdq"): "pdq",
    ("video", "md5"): "video_md5",
    ("video", "sha256"): "video_sha256",
    ("video", "vpdq"): "vpdq",  # indexed only where the vpdq extension is installed
    ("website", "url"): "url",  # the worst-of list (DESIGN.md section 12); domains have no signal type
}

Key = tuple[str, str]  # (signal type name, value): SignalExchangeAPIWithSimpleUpdates' record key


def state_dir() -> Path:
    """The threatexchange CLI's state folder, found as the CLI finds it."""
    return Path(os.getenv("TX_STATEDIR", "~/.threatexchange")).expanduser()


def credentials_file() -> Path:
    return state_dir() / API_NAME / "credentials"


# ---------------------------------------------------------------------------------------------------
# configuration, credentials, checkpoint, metadata


@dataclass
class _BaselineCollabRequiredFields:
    server: str = field(metadata={"help": "the Baseline service's address, e.g. https://baseline.example.org",
                                  "metavar": "URL"})
    public_key: str = field(metadata={"help": "the list's signing key (base64 of the raw Ed25519 key, or a file), "
                                              "from the list's operators", "metavar": "KEY"})


@dataclass
class BaselineCollabConfig(CollaborationConfigWithDefaults, _BaselineCollabRequiredFields):
    list: str = field(default="baseline", metadata={"help": "which list: baseline (default) or worst-of",
                                                    "metavar": "LIST"})
    mirror_dir: str = field(default="", metadata={
        "help": "where the verified mirror is kept (default: the threatexchange state folder/baseline/NAME)",
        "metavar": "DIR"})
    max_age_days: float = field(default=7.0, metadata={
        "help": "warn when the newest verified release is older than this many days, a frozen feed (default 7; "
                "0: never)",
        "metavar": "DAYS"})


@dataclass
class BaselineCredentials(auth.CredentialHelper):
    """An API token of a partner account (DESIGN.md section 6). From, in order: what HMA passes in
    (its stored credential_json {"token": ...}), $TX_BASELINE_TOKEN, or the file
    `threatexchange config api baseline --credentials TOKEN` writes."""

    ENV_VARIABLE: t.ClassVar[str] = TOKEN_ENV

    token: str

    @classmethod
    def _from_str(cls, s: str) -> "BaselineCredentials":
        return cls(s.strip())

    @classmethod
    def _from_file(cls) -> "BaselineCredentials | None":
        path = credentials_file()
        return cls._from_str(path.read_text(encoding="utf-8")) if path.is_file() else None

    def _are_valid(self) -> bool:
        return bool(self.token) and not any(c.isspace() for c in self.token)

    @classmethod
    def get(cls, for_cls):
        try:
            return super().get(for_cls)
        except auth.SignalExchangeAPIMissingAuthException as missing:
            missing.hints.insert(0, f"running `threatexchange config api {API_NAME} --credentials TOKEN` "
                                    f"(it writes {credentials_file()})")
            raise


@dataclass
class BaselineCheckpoint(state.FetchCheckpointBase):
    """The verified release whose signals the store holds."""

    version: int
    manifest_sha256: str
    created_at: int  # the release's created_at, Unix seconds
    list: str = "baseline"

    def get_progress_timestamp(self) -> int | None:
        return self.created_at


@dataclass
class BaselineSignalMetadata(state.FetchedSignalMetadata):
    """Which listed items carry this signal, in which list, since which release."""

    item_ids: tuple[str, ...]
    list: str
    added_in_version: int

    def get_as_opinions(self) -> t.Sequence[state.SignalOpinion]:
        return [state.SignalOpinion(False, state.SignalOpinionCategory.POSITIVE_CLASS, {self.list})]

    def __str__(self) -> str:
        return (f"POSITIVE_CLASS {self.list} item {','.join(self.item_ids)} "
                f"(listed since release {self.added_in_version})")


class BaselineFetchError(Exception):
    """A check of the fetch failed (its `status` as `baseline sync` would exit); nothing was stored."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(f"{errors.NAMES.get(failure.status, 'error')} check failed: {failure.message}")
        self.status = failure.status


# ---------------------------------------------------------------------------------------------------
# the exchange


_TypedDelta = state.FetchDelta[Key, BaselineSignalMetadata, BaselineCheckpoint]


class BaselineSignalExchangeAPI(
    auth.SignalExchangeWithAuth[BaselineCollabConfig, BaselineCredentials],
    SignalExchangeAPIWithSimpleUpdates[BaselineCollabConfig, BaselineCheckpoint, BaselineSignalMetadata],
):
    """The latest release of one Baseline list, verified as `baseline sync` verifies it."""

    def __init__(self, collab: BaselineCollabConfig, token: str) -> None:
        self.collab = collab
        self.token = token

    @classmethod
    def get_name(cls) -> str:
        return API_NAME

    @staticmethod
    def get_config_cls() -> type[BaselineCollabConfig]:
        return BaselineCollabConfig

    @staticmethod
    def get_checkpoint_cls() -> type[BaselineCheckpoint]:
        return BaselineCheckpoint

    @staticmethod
    def get_record_cls() -> type[BaselineSignalMetadata]:
        return BaselineSignalMetadata

    @staticmethod
    def get_credential_cls() -> type[BaselineCredentials]:
        return BaselineCredentials

    @classmethod
    def for_collab(cls, collab: BaselineCollabConfig,
                   credentials: BaselineCredentials | None = None) -> "BaselineSignalExchangeAPI":
        credentials = credentials or BaselineCredentials.get(cls)
        return cls(collab, credentials.token)

    @property
    def mirror_dir(self) -> Path:
        if self.collab.mirror_dir:
            return Path(self.collab.mirror_dir).expanduser()
        return state_dir() / API_NAME / self.collab.name.replace(os.sep, "_")

    def fetch_iter(self, _supported_signal_types: t.Sequence[type[SignalType]],
                   checkpoint: BaselineCheckpoint | None) -> t.Iterator[_TypedDelta]:
        try:
            newest, updates = self._verified_updates(checkpoint)
        except Failure as failure:
            error = BaselineFetchError(failure)
            _tell(f"[{API_NAME}] {self.collab.name}: {error}; the stored signals are unchanged")
            raise error from None
        if checkpoint is None or newest.version != checkpoint.version:
            yield _TypedDelta(updates, BaselineCheckpoint(
                version=newest.version, manifest_sha256=newest.sha256, created_at=_created(newest),
                list=self.collab.list))
        if self.collab.max_age_days > 0:
            try:
                mirror.check_age(newest, self.collab.max_age_days)
            except Failure as frozen:
                _tell(f"[{API_NAME}] {self.collab.name}: warning: {frozen.message}")

    def _verified_updates(self, checkpoint: BaselineCheckpoint | None) -> tuple[trust.Manifest, dict]:
        if self.collab.list not in LISTS:
            raise Failure(USAGE, f"the collab's list must be one of {', '.join(LISTS)}, not {self.collab.list!r}")
        directory = self.mirror_dir
        if checkpoint is not None and checkpoint.list != self.collab.list:
            raise Failure(USAGE, f"the stored signals are of the {checkpoint.list} list, the collab now names "
                                 f"{self.collab.list}: run `threatexchange fetch --clear` and remove {directory} "
                                 "(or give the collab another --mirror-dir) first")
        mirror.sync(mirror.SyncOptions(url=self.collab.server, directory=directory, token=self.token,
                                       list_name=self.collab.list, public_key=self.collab.public_key,
                                       max_age_days=None))
        held = mirror.State.read(directory)
        newest = mirror.read_manifest(directory, held.version)
        if checkpoint is None:
            return newest, _signals(directory, newest, self.collab.list)
        if checkpoint.version > newest.version:
            raise Failure(ROLLBACK, f"the service offers release {newest.version}, older than release "
                                    f"{checkpoint.version} whose signals are stored: refused")
        if checkpoint.version == newest.version:
            if checkpoint.manifest_sha256 != newest.sha256:
                raise Failure(CHAIN, f"release {newest.version}'s manifest is not the one whose signals are stored")
            return newest, {}
        service = Service(self.collab.server, self.token, self.collab.list)
        touched = _changed_keys(service, directory, held, newest, checkpoint)
        updates: dict[Key, BaselineSignalMetadata | None] = dict.fromkeys(touched)
        updates.update(_signals(directory, newest, self.collab.list, only=touched))
        return newest, updates


def _tell(message: str) -> None:
    """Logged; and on stderr under the threatexchange CLI, which silences logging by default."""
    logger.error(message)
    if "threatexchange.cli.main" in sys.modules and not logging.getLogger().isEnabledFor(logging.ERROR):
        print(message, file=sys.stderr)


def _created(manifest: trust.Manifest) -> int:
    return int(datetime.fromisoformat(manifest.fields["created_at"].replace("Z", "+00:00")).timestamp())


def _signals(directory: Path, manifest: trust.Manifest, list_name: str,
             only: set[Key] | None = None) -> dict[Key, BaselineSignalMetadata]:
    """The signals of the verified csv of `manifest` (or those of them in `only`)."""
    items: dict[Key, tuple[list[str], int]] = {}
    path = directory / "current" / manifest.files()["csv"]["name"]
    rebuild.allow_long_fields()
    with open(path, encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        if next(rows, None) != CSV_HEADER:
            raise Failure(FILE, f"release {manifest.version}: {path.name} does not start with the csv header")
        for item_id, media_type, algorithm, value, added in rows:
            name = SIGNAL_TYPES.get((media_type, algorithm))
            if name is None or (only is not None and (name, value) not in only):
                continue
            ids, since = items.setdefault((name, value), ([], int(added)))
            ids.append(item_id)
            items[name, value] = (ids, min(since, int(added)))
    return {key: BaselineSignalMetadata(tuple(sorted(ids)), list_name, since) for key, (ids, since) in items.items()}


def _changed_keys(service: Service, directory: Path, held: mirror.State, newest: trust.Manifest,
                  checkpoint: BaselineCheckpoint) -> set[Key]:
    """The signals added or removed by releases checkpoint+1..newest, from their signed deltas.

    The manifests between are taken from the mirror where it holds them, else from the service,
    and each must be the one its successor names by SHA-256, back from the newest (whose signature
    sync verified) to the checkpoint's: a manifest that is not is refused (a fork, or a changed one).
    """
    chain = [newest]
    for version in range(newest.version - 1, checkpoint.version, -1):
        if version >= held.first_version:
            manifest = mirror.read_manifest(directory, version)
        else:
            manifest = trust.Manifest.parse(*service.manifest(version), f"release {version}")
        trust.check_chain(manifest, chain[-1])
        chain.append(manifest)
    first = chain[-1]
    if first.fields.get("previous_version") != checkpoint.version \
            or first.fields.get("previous_manifest_sha256") != checkpoint.manifest_sha256:
        raise Failure(CHAIN, f"release {first.version} does not follow release {checkpoint.version} whose signals are "
                             "stored (a different history): run `threatexchange fetch --clear` to start again")
    changes = rebuild.Changes()
    with tempfile.TemporaryDirectory(prefix=".deltas-", dir=directory) as folder:
        for manifest in reversed(chain):
            entry = manifest.files().get("delta")
            if entry is None:
                raise Failure(FILE, f"release {manifest.version} has no delta file")
            path = Path(folder) / entry["name"]
            service.download(service.release_path(f"{manifest.version}/files/delta/"), path, entry["size"],
                             entry["name"])
            trust.check_file(str(path), entry, manifest.version)
            with open(path, encoding="utf-8", newline="") as handle:
                changes.apply(manifest.version, handle)
    rows = [(media, algorithm, value) for (_, algorithm), (media, value, _) in changes.added.items()]
    rows += [(media, algorithm, value) for (_, algorithm), (media, value) in changes.removed_rows.items()]
    return {(SIGNAL_TYPES[media, algorithm], value) for media, algorithm, value in rows
            if (media, algorithm) in SIGNAL_TYPES}


# ---------------------------------------------------------------------------------------------------
# `threatexchange config api baseline --credentials TOKEN`


def _register_cli_command() -> None:
    """python-threatexchange 1.2's `config api` lists its subcommands in a fixed list; the CLI
    imports extensions before it builds its parser, so the Baseline one is added here."""
    from threatexchange.cli import command_base, config_cmd

    class ConfigBaselineAPICommand(command_base.Command):
        """Configure the Baseline exchange: your API token"""

        @classmethod
        def get_name(cls) -> str:
            return API_NAME

        @classmethod
        def init_argparse(cls, settings, ap) -> None:
            given = ap.add_mutually_exclusive_group()
            # A token may begin with "-" (tokens are URL-safe base64): --credentials=TOKEN always works.
            given.add_argument("--credentials", metavar="TOKEN", help="store the API token of your partner account")
            given.add_argument("--credentials-file", metavar="FILE", help="store the token this file holds")

        def __init__(self, credentials: str | None, credentials_file: str | None) -> None:
            self.credentials = credentials
            self.credentials_file = credentials_file

        def execute(self, settings) -> None:
            path = credentials_file()
            token = self.credentials
            if self.credentials_file is not None:
                try:
                    token = read_token(self.credentials_file)
                except Failure as failure:
                    raise command_base.CommandError(failure.message, 2) from None
            if token is None:
                print(f"a token is stored in {path}" if path.is_file() else f"no token stored ({path})")
                return
            credentials = BaselineCredentials._from_str(token)
            if not credentials._are_valid():
                raise command_base.CommandError("the token is empty or holds spaces", 2)
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(credentials.token + "\n")
            os.chmod(path, 0o600)
            print(f"stored the token in {path}")

    if all(command.get_name() != API_NAME for command in config_cmd.ConfigAPICommand._SUBCOMMANDS):
        config_cmd.ConfigAPICommand._SUBCOMMANDS = [*config_cmd.ConfigAPICommand._SUBCOMMANDS,
                                                    ConfigBaselineAPICommand]


if "threatexchange.cli.config_cmd" in sys.modules:  # under the CLI; HMA never imports it
    _register_cli_command()


TX_MANIFEST = ThreatExchangeExtensionManifest(apis=(BaselineSignalExchangeAPI,))
