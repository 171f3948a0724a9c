"""Reads of items: visible lists and details, search by value, status history, held items and chains."""

from __future__ import annotations

from dataclasses import dataclass, field

from baseline_client.hashing.signatures import ALGORITHMS, PDQ_MATCH_DISTANCE, SignatureError, normalise, value_digest
from django.db import connection
from django.db.models import Case, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Left
from django.http import Http404

from core.actions import STATUS_ACTIONS
from core.models import AuditEntry
from curation import permissions
from curation.models import Signature, Submission


def with_details(items: QuerySet[Submission]) -> QuerySet[Submission]:
    return items.select_related("organisation", "criteria_set", "submitter").prefetch_related(
        Prefetch("signatures", queryset=Signature.objects.order_by("algorithm"))
    )


# A search by part of a value needs this many characters (8 hex digits: one item in ~4 billion).
VALUE_PREFIX_MIN = 8
# The prefix index covers this many leading characters (every hex signature whole).
_PREFIX_INDEXED = 64
NEAR_LIMIT = 100


@dataclass(frozen=True)
class ValueSearch:
    """A curator's search by hash value: the whole value (any algorithm), its first characters (at
    least VALUE_PREFIX_MIN), and for a PDQ hash the items within PDQ_MATCH_DISTANCE of it."""

    text: str
    pdq: bool = False  # the text is a PDQ hash, so near ones were looked for
    distances: dict = field(default_factory=dict)  # item id -> PDQ distance, nearest NEAR_LIMIT

    @property
    def too_short(self) -> bool:
        return len(self.text) < VALUE_PREFIX_MIN

    @property
    def error(self) -> str:
        if self.too_short:
            return (f"Type at least {VALUE_PREFIX_MIN} characters of the hash value (you typed "
                    f"{len(self.text)}); a shorter part would match too many items.")
        return ""


def value_search(value: str) -> ValueSearch | None:
    text = value.strip()
    if not text:
        return None
    try:
        pdq = normalise("pdq", text)  # the signature rules say whether this is a PDQ hash
    except SignatureError:
        return ValueSearch(text)
    return ValueSearch(text, pdq=True, distances=pdq_near(pdq))


def submission_list_for(user, *, status: str | None = None, search: ValueSearch | None = None) -> QuerySet[Submission]:
    items = permissions.submissions_visible_to(user)
    if status:
        items = items.filter(status=status)
    if search is None:
        return with_details(items).order_by("-created_at", "id")
    if search.too_short:
        return items.none()
    items = items.filter(Q(pk__in=items_with_value(search.text)) | Q(pk__in=search.distances))
    if not search.distances:
        return with_details(items).order_by("-created_at", "id")
    # Nearest first; items found by value or prefix alone (and not PDQ-near) come first.
    distance = Case(*(When(pk=pk, then=Value(d)) for pk, d in search.distances.items()),
                    default=Value(None), output_field=IntegerField())
    return with_details(items.annotate(pdq_distance=distance)).order_by(
        F("pdq_distance").asc(nulls_first=True), "-created_at", "id")


def submission_for(user, item_id) -> Submission | None:
    """The item if `user` may see it, else None (callers answer 404)."""
    return with_details(permissions.submissions_visible_to(user)).filter(pk=item_id).first()


def submission_visible_or_404(user, item_id) -> Submission:
    """The item the pages act on: 404 when `user` may not see it (as when it does not exist)."""
    item = submission_for(user, item_id)
    if item is None:
        raise Http404
    return item


def status_history(item: Submission) -> QuerySet[AuditEntry]:
    """The item's status changes from the audit log (never its review entries: blind review)."""
    return AuditEntry.objects.filter(object_type="curation.submission", object_id=str(item.pk),
                                     action__in=STATUS_ACTIONS).order_by("seq")


def items_with_value(value: str):
    """Ids of items holding a signature with this value, in any algorithm (hex in any case, base64
    exact), or, given at least VALUE_PREFIX_MIN characters, a value starting with them. The prefix
    goes through the index on the value's first 64 characters (curation 0012)."""
    raw = value.strip()
    texts = {raw, raw.lower()}
    # The algorithm too, so the (algorithm, value_digest) index finds the whole value.
    found = Q(algorithm__in=list(ALGORITHMS), value_digest__in={value_digest(text) for text in texts})
    if len(raw) >= VALUE_PREFIX_MIN:
        for text in texts:
            starts = Q(value_head__startswith=text[:_PREFIX_INDEXED])
            if len(text) > _PREFIX_INDEXED:
                starts &= Q(value__startswith=text)
            found |= starts
    return (Signature.objects.annotate(value_head=Left("value", _PREFIX_INDEXED))
            .filter(found).values("submission_id"))


def pdq_near(pdq_hex: str, max_distance: int = PDQ_MATCH_DISTANCE) -> dict:
    """{item id: distance} of the NEAR_LIMIT items whose PDQ hash is nearest `pdq_hex` within
    `max_distance` (any status), nearest first. PostgreSQL compares in the database (a scan of the
    PDQ rows: `make bench` measures it); SQLite, the development database, in Python."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT submission_id, d FROM (SELECT submission_id, bit_count(('x' || value)::bit(256) "
                "# ('x' || %s)::bit(256)) AS d FROM curation_signature WHERE algorithm = 'pdq') AS near "
                "WHERE d <= %s ORDER BY d, submission_id LIMIT %s", [pdq_hex, max_distance, NEAR_LIMIT])
            return dict(cursor.fetchall())
    return pdq_near_in_python(pdq_hex, max_distance)


def pdq_near_in_python(pdq_hex: str, max_distance: int = PDQ_MATCH_DISTANCE) -> dict:
    """pdq_near by reading every PDQ row: SQLite's way, and what the tests hold PostgreSQL's to."""
    wanted = int(pdq_hex, 16)
    rows = Signature.objects.filter(algorithm="pdq").values_list("submission_id", "value").iterator()
    near = sorted((d, str(pk), pk) for pk, value in rows
                  if (d := (int(value, 16) ^ wanted).bit_count()) <= max_distance)
    return {pk: d for d, _, pk in near[:NEAR_LIMIT]}


def held_items() -> QuerySet[Submission]:
    """Items waiting for a curator's sign-off or refusal, oldest first."""
    return with_details(Submission.objects.filter(status=Submission.Status.HELD)).select_related(
        "previous").order_by("created_at", "id")


def chain_of(item: Submission) -> list[Submission]:
    """Every item of `item`'s chain of linked items (itself included), oldest first; [item] alone
    when nothing links to or from it."""
    root = item.chain_root_id or item.pk
    return list(Submission.objects.filter(Q(pk=root) | Q(chain_root_id=root))
                .select_related("organisation").order_by("created_at", "id"))
