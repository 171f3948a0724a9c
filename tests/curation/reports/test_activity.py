"""The curators' Activity page (DESIGN.md section 11): per listed item, sightings and reports over 7
and 30 days, ranked, and the spike flag, driven by sightings across 37 UTC days."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Organisation
from curation.models import Sighting
from curation.releases.services import feed_grant
from curation.reports import selectors
from curation.reports.services import ReportInput, reports_create
from tests.curation.helpers import approved_item, publish
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def sightings(item, organisations, day, count: int) -> None:
    """`count` distinct (organisation, value) matches of `item` on `day`."""
    Sighting.objects.bulk_create([
        Sighting(organisation=organisations[n % len(organisations)], day=day, item=item, algorithm="pdq",
                 value_digest=hashlib.sha256(f"{day}-{n}".encode()).hexdigest()) for n in range(count)])


@pytest.fixture
def partners():
    return [OrganisationFactory(name=f"Network {n}", country="SE", kind=Organisation.Kind.PARTNER) for n in range(3)]


def test_a_jump_in_sightings_is_flagged_and_ranked_first(personas, partners):
    today = timezone.now().date()
    steady, jumped, busy, new = (approved_item(personas) for _ in range(4))
    for offset in range(1, 31):
        sightings(steady, partners, today - timedelta(days=offset), 20)  # 20 a day: 150 is no jump
        sightings(jumped, partners, today - timedelta(days=offset), 5)
    sightings(steady, partners, today, 150)
    sightings(jumped, partners, today, 150)  # > 10 x 5 and >= 100
    sightings(busy, partners, today - timedelta(days=3), 99)  # a jump, but under 100
    sightings(new, partners, today - timedelta(days=40), 500)  # outside every window
    rows = {row.item.pk: row for row in selectors.item_activity()}
    assert rows[jumped.pk].spike_day == today and rows[steady.pk].spike_day is None
    assert rows[busy.pk].spike_day is None and new.pk not in rows
    assert rows[jumped.pk].sightings == {7: 150 + 6 * 5, 30: 150 + 29 * 5}
    assert rows[steady.pk].sightings == {7: 150 + 6 * 20, 30: 150 + 29 * 20}
    assert [row.item.pk for row in selectors.item_activity()][:3] == [jumped.pk, steady.pk, busy.pk]
    # The flag follows the day: a week later the spike has left the 7-day window.
    later = selectors.item_activity(today=today + timedelta(days=7))
    assert all(row.spike_day is None for row in later)


def test_reports_are_counted_and_the_page_is_for_curators(personas, client):
    item = approved_item(personas)
    publish()
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="standard")
    reports_create(actor=personas.partner, rows=[
        ReportInput(item_id=str(item.pk), kind="match", reference="A"),
        ReportInput(item_id=str(item.pk), kind="false_positive", reference="B")])
    row, = selectors.item_activity()
    assert (row.reports, row.false_positives) == ({7: 2, 30: 2}, {7: 1, 30: 1})
    client.force_login(personas.curator)
    page = client.get("/activity/")
    assert page.status_code == 200 and str(item.pk)[:8] in page.content.decode()
    client.force_login(personas.partner)
    assert client.get("/activity/").status_code == 403
