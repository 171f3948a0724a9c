"""Figures for the dashboards of each role. Reads only; nothing about pending reviews."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import timedelta
from itertools import combinations

from django.db.models import Count
from django.utils import timezone

from accounts.models import Organisation, Role, RoleGrant, User
from curation import permissions
from curation.models import Criterion, Release, Review, Submission
from curation.releases.selectors import approved_not_yet_released
from curation.reviews.selectors import review_queue_size
from portal import charts

WEEKS = 12


def investigator(user) -> dict:
    counts = dict(Submission.objects.filter(organisation_id=user.organisation_id).values_list("status")
                  .annotate(n=Count("pk")).values_list("status", "n"))
    rows = [(label, counts.get(value, 0)) for value, label in Submission.Status.choices]
    return {"chart": charts.bar_chart(rows, title="Our organisation's items by status"),
            "total": sum(counts.values())}


def reviewer(user) -> dict:
    week_ago = timezone.now() - timedelta(days=7)
    return {
        "queue": review_queue_size(user),
        "this_week": Review.objects.filter(reviewer=user, created_at__gte=week_ago).count(),
        "all_time": Review.objects.filter(reviewer=user).count(),
    }


def _week_start(moment):
    day = moment.date()
    return day - timedelta(days=day.weekday())


def curator() -> dict:
    since = timezone.now() - timedelta(weeks=WEEKS)
    decided = list(Submission.objects.filter(decided_at__gte=since).values_list("status", "created_at", "decided_at"))
    approved = Counter(_week_start(d) for status, _, d in decided if status in ("approved", "retracted"))
    hours = defaultdict(list)
    for _, created, decided_at in decided:
        hours[_week_start(decided_at)].append((decided_at - created).total_seconds() / 3600)
    weeks = [_week_start(timezone.now()) - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
    return {
        "approved_since_release": approved_not_yet_released(),
        "releases": Release.objects.order_by("-version")[:5],
        "approved_chart": charts.bar_chart([(f"week of {w:%d %b}", approved.get(w, 0)) for w in weeks],
                                           title="Items approved per week"),
        "median_chart": charts.bar_chart(
            [(f"week of {w:%d %b}", round(statistics.median(hours[w]), 1)) for w in weeks if hours.get(w)],
            title="Median time from submission to decision", unit=" h"),
        "agreement": criterion_agreement(),
    }


def criterion_agreement(limit: int = 2000) -> list[dict]:
    """Network-level: for each criterion, how often two reviewers of the same decided item gave
    the same answer. Never per reviewer (that would pressure people not to disagree)."""
    items = Submission.objects.filter(status__in=permissions.DECIDED).order_by("-decided_at")[:limit]
    answers_by_item = defaultdict(list)
    for submission_id, answers in Review.objects.filter(submission__in=items).values_list("submission_id", "answers"):
        answers_by_item[submission_id].append(answers)
    alike, pairs = Counter(), Counter()
    for reviews in answers_by_item.values():
        for a, b in combinations(reviews, 2):
            for key in a.keys() & b.keys():
                pairs[key] += 1
                alike[key] += a[key] == b[key]
    # Shown by its question (the newest version's wording when versions differ), never by its key.
    questions = dict(Criterion.objects.filter(key__in=list(pairs)).order_by("criteria_set__version")
                     .values_list("key", "question"))
    return [{"criterion": key, "question": questions.get(key, key), "pairs": pairs[key],
             "percent": round(100 * alike[key] / pairs[key])} for key in sorted(pairs)]


def partner(user) -> dict:
    """The newest list the partner may fetch, and which feeds its organisation holds."""
    return {
        "latest": permissions.releases_visible_to(user).filter(status=Release.Status.PUBLISHED)
        .order_by("-version").first(),
        "feeds": sorted(permissions.entitled_feeds(user)),
    }


def administrator() -> dict:
    by_role = dict(RoleGrant.objects.filter(user__is_active=True).values_list("role").annotate(n=Count("pk"))
                   .values_list("role", "n"))
    by_org = (Organisation.objects.annotate(n=Count("members", distinct=True)).order_by("-n", "name")
              .values_list("name", "n")[:15])
    return {
        "roles_chart": charts.bar_chart([(label, by_role.get(value, 0)) for value, label in Role.choices],
                                        title="Active users by role"),
        "orgs_chart": charts.bar_chart(list(by_org), title="Users by organisation"),
        "users": User.objects.filter(is_active=True).count(),
    }


def reviewer_roster() -> list[dict]:
    """Each reviewer's organisation and workload. Blind review shapes the figures: reviews are
    counted only on decided items, and the open work is every pending item the reviewer's
    organisation may review, not their personal queue, which shrinks the moment they review or
    recuse and would tell who acted on a pending item."""
    reviewers = (User.objects.filter(role_grants__role=Role.REVIEWER, is_active=True)
                 .select_related("organisation").distinct().order_by("organisation__name", "username"))
    decided = Review.objects.filter(submission__status__in=permissions.DECIDED)
    done = dict(decided.values_list("reviewer_id").annotate(n=Count("pk")).values_list("reviewer_id", "n"))
    week_ago = timezone.now() - timedelta(days=7)
    week = dict(decided.filter(created_at__gte=week_ago).values_list("reviewer_id").annotate(n=Count("pk"))
                .values_list("reviewer_id", "n"))
    pending = dict(Submission.objects.filter(status=Submission.Status.PENDING).values_list("organisation_id")
                   .annotate(n=Count("pk")).values_list("organisation_id", "n"))
    total_pending = sum(pending.values())
    return [{"user": r, "done": done.get(r.pk, 0), "this_week": week.get(r.pk, 0),
             "open": total_pending - pending.get(r.organisation_id, 0)} for r in reviewers]
