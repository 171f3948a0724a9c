"""Bulk import: `import_candidates FILE.csv --submitter USERNAME`.

Columns `item_key,media_type,algorithm,value,external_reference`; rows sharing an `item_key` form
one item. Every item goes through `submissions.imports.submissions_import` — the same validation, duplicate
rule and audit as the API. Items with errors are reported by line and written not at all.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from core.errors import DomainError
from curation.submissions.imports import collector_paused, submissions_import
from curation.submissions.services import ItemInput

COLUMNS = ["item_key", "media_type", "algorithm", "value", "external_reference"]


class Command(BaseCommand):
    help = "Import candidate items from a CSV file as pending submissions."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--submitter", required=True, help="the investigator submitting the items")

    def handle(self, *args, file, submitter, **options):
        user = User.objects.filter(username=submitter).first()
        if user is None:
            raise CommandError(f"No user named {submitter!r}.")
        with collector_paused():  # reading a large file makes as many objects as importing it
            items, lines, errors = self.read(file)
            try:
                outcome = submissions_import(actor=user, items=items)
            except DomainError as exc:
                raise CommandError(exc.message) from None
        for key, problems in outcome.errors.items():
            for index, message in problems:
                line = lines[key][index] if index is not None else lines[key][0]
                errors.append((line, f"item {key!r}: {message}"))
        for line, message in sorted(errors):
            self.stderr.write(f"line {line}: {message}")
        failed_keys = len(outcome.errors) + len({k for k in lines if k not in items})
        self.stdout.write(f"Imported {len(outcome.created)} items; {failed_keys} items with errors not imported.")
        if errors:
            sys.exit(1)

    def read(self, path: str):
        rows_by_key: dict[str, list[dict]] = defaultdict(list)
        lines: dict[str, list[int]] = defaultdict(list)
        heads: dict[str, tuple[str, str]] = {}
        errors: list[tuple[int, str]] = []
        bad_keys: set[str] = set()
        try:
            handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        with handle:
            reader = csv.DictReader(handle)
            try:
                if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != COLUMNS:
                    raise CommandError(f"The header must be exactly: {','.join(COLUMNS)}")
                for row in reader:
                    self.take_row(row, reader.line_num, rows_by_key, lines, heads, errors, bad_keys)
            except (UnicodeDecodeError, csv.Error) as exc:
                raise CommandError(f"line {reader.line_num}: the file is not valid UTF-8 CSV ({exc}).") from None
        items = {
            key: ItemInput(media_type=heads[key][0], external_reference=heads[key][1], signatures=rows)
            for key, rows in rows_by_key.items()
            if key not in bad_keys
        }
        return items, lines, errors

    @staticmethod
    def take_row(row, line, rows_by_key, lines, heads, errors, bad_keys) -> None:
        key = (row.get("item_key") or "").strip()
        if None in row or any(row.get(c) is None for c in COLUMNS):
            # The row still names its item, and an item must not be written without one of its rows.
            errors.append((line, f"expected {len(COLUMNS)} columns" + (f"; item {key!r} not imported" if key else "")))
            if key:
                lines[key].append(line)
                bad_keys.add(key)
            return
        if not key:
            errors.append((line, "item_key is empty"))
            return
        lines[key].append(line)
        if any("\x00" in row[column] for column in COLUMNS):
            # PostgreSQL text cannot hold NUL, and no identifier or hash contains one.
            errors.append((line, f"item {key!r}: a field contains a NUL character"))
            bad_keys.add(key)
            return
        head = (row["media_type"].strip(), row["external_reference"].strip())
        if heads.setdefault(key, head) != head:
            errors.append((line, f"item {key!r}: media_type and external_reference must match its first row"))
            bad_keys.add(key)
        rows_by_key[key].append({"algorithm": row["algorithm"].strip(), "value": row["value"]})
