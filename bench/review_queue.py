"""The review queue at depth: N pending items (one SHA-256 each) from 30 organisations and 200
reviewers spread over them, each of whom has reviewed 50 and recused from 10 of the oldest items;
one item in a hundred resubmits a rejected item's signature (a chain whose root one bench
reviewer judged, so the "earlier item of the chain" rule has work to do).

Measured through the real views with Django's test client, signed in (pages) or with a token (API)
as eight different reviewers: `GET /api/v1/review-queue/` (its first page and its last, page 20),
the queue page, the home page and one item's review page, each answered in full (middleware,
navigation badge, templates). The plans of the queue's count and page queries, as the API ran them,
go to bench/results/queue-<size>-plan.txt.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from core.actors import SYSTEM

RESULTS = Path(__file__).resolve().parent / "results"
ORGANISATIONS = 30
REVIEWERS = 200
REVIEWED_EACH = 50
RECUSED_EACH = 10
CHAIN_EVERY = 100  # one pending item in this many resubmits a rejected item (a chain of two)
MEASURED_REVIEWERS = 8
# Requests per kind, spread over the measured reviewers (BENCH_QUEUE_REQUESTS: fewer, for a slow baseline).
REQUESTS = int(os.environ.get("BENCH_QUEUE_REQUESTS", "60"))
COUNTRIES = ["AR", "AT", "AU", "BE", "BR", "CA", "CH", "CL", "CO", "CZ", "DE", "DK", "ES", "FI", "FR",
             "GB", "GR", "IE", "IN", "IT", "JP", "KE", "MX", "NL", "NO", "NZ", "PL", "PT", "SE", "ZA"]
START = datetime(2026, 1, 1, tzinfo=UTC)
LAST_PAGE = 20  # of 50 items: the deepest page served, ending at the count's cap (1,000)
ANSWERS = '{"real_child": true, "sexual_abuse": true, "under_13": true}'


def _people() -> tuple[list, list, list]:
    """30 organisations, an investigator in each, 200 reviewers spread over them (reviewer r in
    organisation r % 30)."""
    from accounts.models import Organisation, Role, User
    from accounts.services import organisation_create, user_create

    organisations, investigators, reviewers = [], [], []
    for n in range(ORGANISATIONS):
        name = f"Bench Queue Unit {n:02d}"
        org = Organisation.objects.filter(name=name).first() or organisation_create(
            actor=SYSTEM, name=name, country=COUNTRIES[n], kind="law_enforcement")
        organisations.append(org)
        username = f"bench-queue-investigator-{n:02d}"
        investigators.append(User.objects.filter(username=username).first() or user_create(
            actor=SYSTEM, username=username, organisation=org, roles=[Role.INVESTIGATOR]))
    for r in range(REVIEWERS):
        username = f"bench-queue-reviewer-{r:03d}"
        reviewers.append(User.objects.filter(username=username).first() or user_create(
            actor=SYSTEM, username=username, organisation=organisations[r % ORGANISATIONS], roles=[Role.REVIEWER]))
    return organisations, investigators, reviewers


def _copy_rows(table: str, columns: list[str], rows) -> None:
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _pending_id(n: int) -> str:
    return str(uuid.UUID(int=50_000_000 + n))


def _root_id(k: int) -> str:
    return str(uuid.UUID(int=60_000_000 + k))


def _value(n: int) -> str:
    return hashlib.sha256(f"bench-queue-{n}".encode()).hexdigest()


def _load_items(pending: int, investigators: list, reviewers: list) -> dict:
    """Rejected chain roots first (older than every pending item), then the pending items in
    creation order; n-th pending item from organisation n % 30. Item n with n % CHAIN_EVERY == 0
    resubmits root n // CHAIN_EVERY's signature."""
    from curation.models import CriteriaSet, Review, Signature, Submission

    criteria = CriteriaSet.objects.get(is_active=True)
    roots = pending // CHAIN_EVERY
    columns = ["id", "status", "media_type", "external_reference", "note", "submitter_id", "organisation_id",
               "criteria_set_id", "required_agreements", "series", "created_at", "decided_at", "retraction_reason",
               "hold_reason", "previous_id", "chain_root_id"]

    def item(n: int, status: str, item_id: str, created: datetime, root: str | None):
        submitter = investigators[n % ORGANISATIONS]
        decided = created + timedelta(days=1) if status == "rejected" else None
        return (item_id, status, "image", f"BENCH-Q-{n}", "", submitter.pk, submitter.organisation_id, criteria.pk,
                3, "", created, decided, "", "", root, root)

    def items():
        for k in range(1, roots + 1):  # the root of pending item k * CHAIN_EVERY, from its organisation
            yield item(k * CHAIN_EVERY, "rejected", _root_id(k), START - timedelta(days=30, seconds=-k), None)
        for n in range(1, pending + 1):
            root = _root_id(n // CHAIN_EVERY) if n % CHAIN_EVERY == 0 else None
            yield item(n, "pending", _pending_id(n), START + timedelta(seconds=n), root)

    _copy_rows(Submission._meta.db_table, columns, items())

    def signatures():
        for k in range(1, roots + 1):
            value = _value(k * CHAIN_EVERY)
            yield _root_id(k), "sha256", value, hashlib.sha256(value.encode()).hexdigest(), None, False
        for n in range(1, pending + 1):
            value = _value(n)
            yield _pending_id(n), "sha256", value, hashlib.sha256(value.encode()).hexdigest(), None, True

    _copy_rows(Signature._meta.db_table, ["submission_id", "algorithm", "value", "value_digest", "quality", "active"],
               signatures())

    def root_reviews():  # the "no" that rejected each root, by a reviewer outside its organisation
        for k in range(1, roots + 1):
            org = investigators[(k * CHAIN_EVERY) % ORGANISATIONS].organisation_id
            reviewer = reviewers[k % REVIEWERS]
            if reviewer.organisation_id == org:
                reviewer = reviewers[(k + 1) % REVIEWERS]
            yield (_root_id(k), reviewer.pk, reviewer.organisation_id, "disagree",
                   '{"real_child": true, "sexual_abuse": true, "under_13": false}', "", START - timedelta(days=29))

    _copy_rows(Review._meta.db_table,
               ["submission_id", "reviewer_id", "organisation_id", "verdict", "answers", "comment", "created_at"],
               root_reviews())
    return {"pending": pending, "rejected_chain_roots": roots}


def _load_judgements(pending: int, investigators: list, reviewers: list) -> dict:
    """Reviewer r reviewed the pending items r*25+1 … r*25+50 (oldest first, as the queue offers
    them; so the oldest items carry two agreements each and stay pending) and recused from ten
    items after the reviewed ones; own-organisation items are skipped."""
    from curation.models import Recusal, Review

    def own(n: int, reviewer) -> bool:
        return investigators[n % ORGANISATIONS].organisation_id == reviewer.organisation_id

    reviewed = [(n, r) for r, reviewer in enumerate(reviewers)
                for n in range(r * 25 + 1, r * 25 + REVIEWED_EACH + 1) if n <= pending and not own(n, reviewer)]
    recused_from_start = REVIEWERS * 25 + REVIEWED_EACH
    recused = [(n, r) for r, reviewer in enumerate(reviewers)
               for n in range(recused_from_start + r * RECUSED_EACH + 1,
                              recused_from_start + (r + 1) * RECUSED_EACH + 1)
               if n <= pending and not own(n, reviewer)]
    _copy_rows(Review._meta.db_table,
               ["submission_id", "reviewer_id", "organisation_id", "verdict", "answers", "comment", "created_at"],
               ((_pending_id(n), reviewers[r].pk, reviewers[r].organisation_id, "agree", ANSWERS, "",
                 START + timedelta(days=2)) for n, r in reviewed))
    _copy_rows(Recusal._meta.db_table, ["submission_id", "reviewer_id", "reason", "created_at"],
               ((_pending_id(n), reviewers[r].pk, "cannot_access_material", START + timedelta(days=2))
                for n, r in recused))
    return {"reviews": len(reviewed), "recusals": len(recused)}


def _clients(reviewers: list) -> list[tuple]:
    """(reviewer, signed-in page client, API client with a token) for the measured reviewers, picked
    across the range: some whose reviews are the very oldest items, some with chains to skip."""
    from django.test import Client

    from accounts.services import token_create
    from tests.clients import VerifiedClient

    picked = [reviewers[r] for r in range(0, REVIEWERS, REVIEWERS // MEASURED_REVIEWERS)][:MEASURED_REVIEWERS]
    found = []
    for reviewer in picked:
        page = VerifiedClient(HTTP_HOST="localhost")
        page.force_login(reviewer)
        key = token_create(actor=SYSTEM, user=reviewer, name="bench")[1]
        api = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {key}")
        found.append((reviewer, page, api))
    return found


def _answered(label: str, response) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"{label}: {response.status_code} (a measured request must succeed)")


def _measure(label: str, clients: list[tuple], request) -> dict:
    """REQUESTS requests spread over the clients, after one unmeasured warm-up each."""
    for reviewer, page, api in clients:
        _answered(label, request(reviewer, page, api))
    seconds = []
    for i in range(REQUESTS):
        reviewer, page, api = clients[i % len(clients)]
        start = time.perf_counter()
        response = request(reviewer, page, api)
        seconds.append(time.perf_counter() - start)
        _answered(label, response)
    seconds.sort()
    ms = [s * 1000 for s in seconds]
    return {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(ms[int(len(ms) * 0.95) - 1], 1),
            "max_ms": round(ms[-1], 1), "requests": REQUESTS}


def _explain(clients: list[tuple], pending: int) -> Path:
    """EXPLAIN (ANALYZE, BUFFERS) of every query of an API request that reads the submissions table,
    for the first page and the last (the one ending at the cap): the queue's capped count and its page
    (the page's signatures are a prefetch by id)."""
    reviewer, _, api = clients[0]
    sections = []
    for url in ("/api/v1/review-queue/", f"/api/v1/review-queue/?page={LAST_PAGE}"):
        with CaptureQueriesContext(connection) as captured:
            api.get(url, secure=True)
        sections.append(f"# GET {url} as {reviewer.username}, {pending:,} pending items\n")
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                sql = query["sql"]
                if '"curation_submission"' not in sql.split(" WHERE ")[0] or not sql.startswith("SELECT"):
                    continue
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
                sections.append(f"## {query['time']} s in the request\n{sql}\n\n{plan}\n")
    RESULTS.mkdir(parents=True, exist_ok=True)
    size = f"{pending // 1_000_000}m" if pending % 1_000_000 == 0 else f"{pending // 1000}k"
    path = RESULTS / f"queue-{size}-plan.txt"
    path.write_text("\n".join(sections))
    return path


def bench_queue(pending: int) -> dict:
    from django.conf import settings

    from curation.models import Recusal, Review, Signature, Submission
    from curation.reviews.selectors import review_queue_for

    tables = [model._meta.db_table for model in (Recusal, Review, Signature, Submission)]
    with connection.cursor() as cursor:  # starts from no items at all
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
    _, investigators, reviewers = _people()
    start = time.perf_counter()
    figures = _load_items(pending, investigators, reviewers)
    figures.update(_load_judgements(pending, investigators, reviewers))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would after a bulk load
    figures["load_seconds"] = round(time.perf_counter() - start, 1)
    clients = _clients(reviewers)
    firsts = {reviewer.pk: review_queue_for(reviewer).values_list("pk", flat=True).first()
              for reviewer, _, _ in clients}
    # Pages name their static files; the bench has no collectstatic manifest, and the lookup is not
    # what is measured.
    plain_static = {**settings.STORAGES,
                    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(STORAGES=plain_static):
        figures["requests"] = _requests(clients, firsts)
    figures["plans"] = str(_explain(clients, pending).relative_to(RESULTS.parent.parent))
    figures["target"] = "p95 <= 200 ms for each request at 1,000,000 pending items"
    return figures


def _requests(clients: list[tuple], firsts: dict) -> dict:
    return {
        "api_review_queue": _measure(
            "api", clients, lambda r, page, api: api.get("/api/v1/review-queue/", secure=True)),
        "api_review_queue_last_page": _measure(
            "api last page", clients,
            lambda r, page, api: api.get(f"/api/v1/review-queue/?page={LAST_PAGE}", secure=True)),
        "review_queue_page": _measure("queue page", clients, lambda r, page, api: page.get("/reviews/", secure=True)),
        "home_page": _measure("home", clients, lambda r, page, api: page.get("/", secure=True)),
        "review_item_page": _measure(
            "item", clients, lambda r, page, api: page.get(f"/reviews/{firsts[r.pk]}/", secure=True)),
    }
