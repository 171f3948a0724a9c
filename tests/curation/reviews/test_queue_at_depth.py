"""The review queue at depth (README, "The review queue at depth"): its size is counted up to a cap,
shown as "N+" past it; the API's `count` stops at the cap with `count_capped`, and the pages list the
oldest items up to the cap; the order is (created_at, id). Speed at a million items is the bench's (`queue-1m`).
The cap is made small here so a handful of items goes past it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from curation.models import Submission
from curation.notices import services as notices
from curation.reviews import api as review_api
from curation.reviews import selectors
from curation.reviews.selectors import QueueSize, review_queue_size
from curation.reviews.services import review_recuse
from tests.curation.helpers import agree, make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def cap_of_3(monkeypatch):
    monkeypatch.setattr(selectors, "QUEUE_COUNT_CAP", 3)
    monkeypatch.setattr(review_api.QueuePagination, "cap", 3)


def items(personas, n: int) -> list[Submission]:
    return [make_item(personas.investigator, external_reference=f"ICSE-{k}") for k in range(n)]


def test_queue_size_is_exact_up_to_the_cap_then_says_more(personas, cap_of_3):
    items(personas, 3)
    assert review_queue_size(personas.reviewer) == QueueSize(3) and str(QueueSize(3)) == "3"
    make_item(personas.investigator)
    size = review_queue_size(personas.reviewer)
    assert size == QueueSize(3, more=True) and str(size) == "3+"
    assert str(QueueSize(1000, more=True)) == "1,000+" and not QueueSize(0)


def test_capped_size_never_depends_on_other_peoples_reviews(personas, cap_of_3):
    first, second = items(personas, 2)
    before = review_queue_size(personas.reviewers[3])
    agree(first, personas.reviewers[0], personas.reviewers[1])
    review_recuse(actor=personas.reviewers[2], item=second, reason="other")
    assert review_queue_size(personas.reviewers[3]) == before == QueueSize(2)
    assert review_queue_size(personas.reviewers[0]) == QueueSize(1)


def test_badge_home_and_review_page_say_n_plus_past_the_cap(personas, client, cap_of_3):
    made = items(personas, 4)
    client.force_login(personas.reviewer)
    home = client.get("/").content.decode()
    assert '<span class="badge" data-badge="review-queue" aria-label="3+ waiting">3+</span>' in home
    assert "<strong>3+</strong> waiting in your queue" in home
    assert "3+ items waiting" in client.get(f"/reviews/{made[0].pk}/").content.decode()


def test_under_the_cap_the_counts_read_as_before(personas, client, cap_of_3):
    made = items(personas, 1)
    client.force_login(personas.reviewer)
    assert "<strong>1</strong> waiting in your queue" in client.get("/").content.decode()
    assert "1 item waiting" in client.get(f"/reviews/{made[0].pk}/").content.decode()


def test_api_count_stops_at_the_cap_and_so_do_the_pages(personas, api, cap_of_3):
    made = items(personas, 5)
    client = api(personas.reviewer)
    body = client.get("/api/v1/review-queue/?page_size=2").json()
    assert body["count"] == 3 and body["count_capped"] is True and body["previous"] is None
    seen = [i["id"] for i in body["results"]]
    while body["next"]:
        body = client.get(body["next"]).json()
        assert body["count"] == 3 and body["count_capped"] is True
        seen += [i["id"] for i in body["results"]]
    assert seen == [str(item.pk) for item in made[:3]]  # the oldest three, each once, oldest first
    assert client.get("/api/v1/review-queue/?page_size=2&page=3").status_code == 404
    assert client.get("/api/v1/review-queue/?page=0").status_code == 404
    # As the oldest are reviewed, the others move up into the pages.
    agree(made[0], personas.reviewer)
    ids = [i["id"] for i in client.get("/api/v1/review-queue/").json()["results"]]
    assert ids == [str(item.pk) for item in made[1:4]]


def test_api_count_is_exact_under_the_cap(personas, api, cap_of_3):
    items(personas, 3)
    body = api(personas.reviewer).get("/api/v1/review-queue/?page_size=2").json()
    assert body["count"] == 3 and body["count_capped"] is False and body["next"]


def test_queue_page_pages_up_to_the_cap(personas, client, monkeypatch):
    monkeypatch.setattr(selectors, "QUEUE_COUNT_CAP", 60)
    items(personas, 62)  # past the cap, and more than one page of 50
    client.force_login(personas.reviewer)
    first = client.get("/reviews/").content.decode()
    assert "Page 1 of 2+</span>" in first and 'rel="next"' in first
    assert "ICSE-0<" in first and "ICSE-49<" in first and "ICSE-50<" not in first
    assert "More than 60 items wait for you: the oldest 60 are listed" in first
    second = client.get("/reviews/?page=2").content.decode()
    assert "Page 2 of 2+</span>" in second and 'rel="prev"' in second and 'rel="next"' not in second
    assert "ICSE-50<" in second and "ICSE-59<" in second and "ICSE-60<" not in second
    # Past the last page, or junk, as everywhere: the last page, or the first.
    assert "ICSE-59<" in client.get("/reviews/?page=9").content.decode()
    assert "ICSE-0<" in client.get("/reviews/?page=x").content.decode()


def test_queue_page_under_the_cap_numbers_its_pages(personas, client):
    items(personas, 51)  # the real cap (1,000): counted exactly
    client.force_login(personas.reviewer)
    assert "Page 1 of 2</span>" in client.get("/reviews/").content.decode()


def test_items_submitted_at_the_same_moment_are_ordered_by_id(personas, api):
    made = items(personas, 4)
    moment = timezone.now() - timedelta(hours=1)
    Submission.objects.filter(pk__in=[item.pk for item in made]).update(created_at=moment)
    later = make_item(personas.investigator)
    ids = [i["id"] for i in api(personas.reviewer).get("/api/v1/review-queue/").json()["results"]]
    assert ids == [*sorted(str(item.pk) for item in made), str(later.pk)]


def test_digest_says_n_plus_past_the_cap(personas, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    reviewer = personas.reviewer
    reviewer.email = "r1@example.org"
    reviewer.save()
    assert notices.send_digest(reviewer, QueueSize(1000, more=True)).sent
    assert mail.outbox[-1].subject == "Baseline: 1,000+ items in your review queue"
    assert mail.outbox[-1].body.startswith("1,000+ items wait for your review")
