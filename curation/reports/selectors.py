"""What comes back from partners, per listed item, for curators (DESIGN.md section 11): reports and
sightings over 7 and 30 days, items ranked, and the spike flag.

An item's sightings on a UTC day are its distinct (organisation, value) matches that day (one
`Sighting` row each). The flag: on one of the last 7 days, at least SPIKE_MINIMUM sightings and
more than SPIKE_FACTOR times its daily average over the 30 days before that day — a jump that is
more likely a benign collision or a wrong entry than that much more abuse material.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count
from django.utils import timezone

from curation.models import Report, Sighting, Submission

SPIKE_FACTOR = 10
SPIKE_MINIMUM = 100
WINDOWS = (7, 30)
BASELINE_DAYS = 30


@dataclass
class Activity:
    item: Submission
    sightings: dict[int, int]  # window (days) -> sightings
    reports: dict[int, int]
    false_positives: dict[int, int]
    spike_day: date | None = None


def _spike(per_day: dict[date, int], today: date) -> date | None:
    for offset in range(WINDOWS[0]):
        day = today - timedelta(days=offset)
        count = per_day.get(day, 0)
        before = sum(per_day.get(day - timedelta(days=n), 0) for n in range(1, BASELINE_DAYS + 1)) / BASELINE_DAYS
        if count >= SPIKE_MINIMUM and count > SPIKE_FACTOR * before:
            return day
    return None


def item_activity(*, limit: int = 200, today: date | None = None) -> list[Activity]:
    """Items with sightings or reports in the last 30 days, most sighted in 7 days first (flagged
    ones before all), at most `limit`."""
    today = today or timezone.now().date()
    since = today - timedelta(days=WINDOWS[0] + BASELINE_DAYS)
    per_item: dict[str, dict[date, int]] = defaultdict(dict)
    for item_id, day, count in (Sighting.objects.filter(day__gte=since).values_list("item_id", "day")
                                .annotate(n=Count("id")).values_list("item_id", "day", "n")):
        per_item[str(item_id)][day] = count
    reports: dict[str, list[tuple[date, str]]] = defaultdict(list)
    for item_id, created, kind in Report.objects.filter(
            created_at__date__gte=today - timedelta(days=WINDOWS[-1])).values_list("item_id", "created_at", "kind"):
        reports[str(item_id)].append((created.date(), kind))
    ids = set(per_item) | set(reports)
    items = {str(i.pk): i for i in Submission.objects.filter(pk__in=ids).select_related("organisation")}
    found = []
    for item_id in ids:
        days = per_item.get(item_id, {})
        window = {w: sum(n for d, n in days.items() if d > today - timedelta(days=w)) for w in WINDOWS}
        mine = reports.get(item_id, [])
        found.append(Activity(
            item=items[item_id], sightings=window,
            reports={w: sum(1 for d, _ in mine if d > today - timedelta(days=w)) for w in WINDOWS},
            false_positives={w: sum(1 for d, k in mine if d > today - timedelta(days=w)
                                    and k == Report.Kind.FALSE_POSITIVE) for w in WINDOWS},
            spike_day=_spike(days, today)))
    found.sort(key=lambda a: (a.spike_day is None, -a.sightings[7], -a.reports[7], str(a.item.pk)))
    return found[:limit]
