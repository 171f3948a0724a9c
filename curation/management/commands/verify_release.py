import base64
import hashlib
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from curation.models import Release, SigningKey
from curation.releases import signing
from curation.releases.storage import chunks_of, open_file


class Command(BaseCommand):
    help = "Re-hash a published release's stored files against its manifest and check the signature."

    def add_arguments(self, parser):
        parser.add_argument("version", type=int)

    def handle(self, *args, version, **options):
        release = Release.objects.filter(version=version, status=Release.Status.PUBLISHED).first()
        if release is None:
            raise CommandError(f"Release {version} is not published.")
        body = bytes(release.manifest)
        manifest = json.loads(body)
        problems = []
        key = SigningKey.objects.filter(key_id=manifest["key_id"]).first()
        if key is None:
            problems.append(f"unknown signing key {manifest['key_id']}")
        elif not signing.verify(base64.b64decode(key.public_key), body, release.signature):
            problems.append("the manifest's signature does not verify")
        for entry in manifest["files"]:
            problems += self.check_file(release, entry)
        if problems:
            for problem in problems:
                self.stderr.write(f"Release {version}: {problem}")
            sys.exit(1)
        self.stdout.write(f"Release {version} verified: signature by {key.key_id} and {len(manifest['files'])} files.")

    def check_file(self, release: Release, entry: dict) -> list[str]:
        record = release.files.filter(format=entry["format"]).first()
        if record is None:
            return [f"{entry['name']} is not recorded"]
        digest, size = hashlib.sha256(), 0
        try:
            with open_file(record.path) as handle:
                for chunk in chunks_of(handle):
                    digest.update(chunk)
                    size += len(chunk)
        except FileNotFoundError:
            return [f"{entry['name']} is missing from storage"]
        if (size, digest.hexdigest()) != (entry["size"], entry["sha256"]):
            return [f"{entry['name']} does not match the manifest (size {size}, sha256 {digest.hexdigest()})"]
        return []
