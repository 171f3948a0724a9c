"""The audit log as administrators may read it, and its entries named as people know them."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db.models import Q

from accounts.selectors import names_by_id
from core.actions import REVIEW_ACTIONS
from core.models import AuditEntry
from curation import permissions
from curation.models import Release, Submission

SHORT_ID = 8  # an item's short id: the first characters of its id, as every page shows it
TYPE_LABELS = {
    "curation.submission": "Item", "accounts.user": "User", "accounts.organisation": "Organisation",
    "curation.release": "Release", "curation.signingkey": "Signing key", "accounts.apitoken": "API token",
    "address": "Address", "curation.auditentry": "Audit log",
}
# Keys of `details` that hold a user's or an organisation's id: shown as the username or the name.
USER_KEYS = {"user_id", "requested_by_id", "decided_by_id", "approved_by_id"}
ORGANISATION_KEYS = {"organisation_id"}


def audit_entries_visible(*, action: str = "", actor: dict | None = None, object_id: tuple[str, bool] | None = None,
                          object_type: str = "", since=None, until=None):
    """The audit log as administrators may read it. Blind review holds here too: the review and
    recusal entries of an item that is not decided are left out entirely (even their number would
    tell something) until it is decided; a withdrawn item's stay hidden.

    `actor` is a filter of the form's (a user's id, the operator or the system); `object_id` is
    (text, is_prefix): an exact id, or the start of one (an item's short id)."""
    undecided = [str(pk) for pk in Submission.objects.exclude(status__in=permissions.DECIDED)
                 .values_list("pk", flat=True)]
    entries = AuditEntry.objects.exclude(action__in=REVIEW_ACTIONS, object_id__in=undecided)
    if action:
        entries = entries.filter(action__startswith=action)
    if actor:
        entries = entries.filter(**actor)
    if object_id:
        text, is_prefix = object_id
        entries = entries.filter(Q(object_id__startswith=text) if is_prefix else Q(object_id=text))
    if object_type:
        entries = entries.filter(object_type=object_type)
    if since:
        entries = entries.filter(created_at__date__gte=since)
    if until:
        entries = entries.filter(created_at__date__lte=until)
    return entries.select_related("organisation").order_by("-seq")


@dataclass(frozen=True)
class Described:
    """An entry as the page shows it: what it is about, by name, and its details as fields."""

    entry: AuditEntry
    kind: str  # "Item", "User", …
    name: str  # the item's short id, the username, "v12", …
    history: str  # the query string of this object's history, "" when there is none to filter by
    fields: list[tuple[str, str]]


def type_label(object_type: str) -> str:
    if object_type in TYPE_LABELS:
        return TYPE_LABELS[object_type]
    try:
        return str(apps.get_model(object_type)._meta.verbose_name).capitalize()
    except (LookupError, ValueError):
        return object_type or "—"


def describe(entries) -> list[Described]:
    """The page's entries with their objects and the ids in their details named: a few queries per
    page, whatever its length."""
    entries = list(entries)
    ids: dict[str, set] = {"accounts.user": set(), "accounts.organisation": set(), "curation.release": set()}
    for e in entries:
        if e.object_type in ids and e.object_id.isdigit():
            ids[e.object_type].add(int(e.object_id))
        _collect(e.details, ids)
    users, organisations = names_by_id(user_ids=ids["accounts.user"],
                                       organisation_ids=ids["accounts.organisation"])
    versions = dict(Release.objects.filter(pk__in=ids["curation.release"]).values_list("pk", "version"))
    names = {"accounts.user": users, "accounts.organisation": organisations,
             "curation.release": {pk: f"v{v}" for pk, v in versions.items()}}
    out = []
    for e in entries:
        kind, oid = type_label(e.object_type), e.object_id
        if e.object_type == "curation.submission":
            name, history = oid[:SHORT_ID], f"object_id={oid[:SHORT_ID]}"
        elif e.object_type in names and oid.isdigit():
            name = names[e.object_type].get(int(oid), f"#{oid}")
            history = f"object_type={e.object_type}&object_id={oid}"
        else:
            name, history = oid, ""
        fields = [(_label(k), _text(k, v, users, organisations)) for k, v in sorted(e.details.items())
                  if v not in (None, "", [], {})]
        out.append(Described(entry=e, kind=kind, name=name, history=history, fields=fields))
    return out


def _collect(details, ids) -> None:
    for key, value in details.items() if isinstance(details, dict) else ():
        if isinstance(value, int) and not isinstance(value, bool):
            if key in USER_KEYS:
                ids["accounts.user"].add(value)
            elif key in ORGANISATION_KEYS:
                ids["accounts.organisation"].add(value)
        elif isinstance(value, dict):
            _collect(value, ids)


def _label(key: str) -> str:
    words = key[:-3] if key.endswith("_id") and key not in {"key_id", "review_id"} else key
    return words.replace("_", " ").capitalize()


def _text(key: str, value, users: dict, organisations: dict) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and key in USER_KEYS:
        return users.get(value, f"user #{value}")
    if isinstance(value, int) and key in ORGANISATION_KEYS:
        return organisations.get(value, f"organisation #{value}")
    if key == "operator" and isinstance(value, dict):
        return f"{value.get('os_user', '?')} on {value.get('host', '?')}"
    if isinstance(value, list):
        return ", ".join(_text(key, v, users, organisations) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{_label(k)}: {_text(k, v, users, organisations)}" for k, v in sorted(value.items()))
    return str(value)
