import re

import pytest

from curation.releases.services import feed_grant
from curation.reviews.selectors import QueueSize
from curation.reviews.services import review_record
from curation.submissions.services import ItemInput, submission_create, submission_withdraw
from portal import charts, dashboards
from tests.curation.helpers import NO_UNDER_13, YES, agree, approved_item, fake, make_item, publish

pytestmark = pytest.mark.django_db


def test_each_role_sees_its_dashboard(personas, client):
    approved_item(personas)
    make_item(personas.investigator)
    for user, marker in ((personas.investigator, "<strong>2</strong> items from your organisation"),
                         (personas.reviewer, "<strong>1</strong> review this week"),
                         (personas.curator, "Items approved per week"),
                         (personas.admin, "Active users by role"),
                         (personas.partner, "Download and verify the list")):
        client.force_login(user)
        page = client.get("/").content.decode()
        assert marker in page, user.username
        # Charts are drawn on the server: the only script is the site's own file, none inline.
        assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/js/baseline.js" defer>']


def test_partner_dashboard_shows_the_latest_list_and_the_feeds_held(personas, client):
    client.force_login(personas.partner)
    page = client.get("/").content.decode()
    assert "No list has been published yet." in page and "holds no feed yet" in page
    approved_item(personas)
    publish(personas.curator)
    feed_grant(actor=personas.admin, organisation=personas.partner.organisation, feed_name="standard")
    page = client.get("/").content.decode()
    assert "<strong>v1</strong> the latest list" in page and "1 item (1 added, 0 removed" in page
    assert "receives the standard feed." in page and 'href="/releases/1/"' in page


def test_investigator_dashboard_counts_the_organisations_items(personas):
    approved_item(personas)
    make_item(personas.investigator)
    data = dashboards.investigator(personas.colleague)
    assert data["total"] == 2 and "Approved" in data["chart"] and "Pending" in data["chart"]


def test_reviewer_dashboard_counts_queue_and_reviews(personas):
    agree(make_item(personas.investigator), personas.reviewer)
    make_item(personas.investigator)
    # The queue's size is counted up to a cap (tests/curation/reviews/test_queue_at_depth.py).
    assert dashboards.reviewer(personas.reviewer) == {"queue": QueueSize(1), "this_week": 1, "all_time": 1}


def test_curator_dashboard_shows_release_state_and_agreement_per_criterion(personas, client):
    approved_item(personas)
    publish(personas.curator)
    approved_item(personas)
    item = make_item(personas.investigator)
    review_record(actor=personas.reviewers[0], item=item, answers=dict(YES))
    review_record(actor=personas.reviewers[1], item=item, answers=dict(NO_UNDER_13))
    data = dashboards.curator()
    assert data["approved_since_release"] == 1
    assert [r.version for r in data["releases"]] == [1]
    agreement = {row["criterion"]: row for row in data["agreement"]}
    # 2 approved items x 3 pairs each agreeing on everything, plus 1 rejected pair differing on under_13.
    from curation.models import Criterion

    question = Criterion.objects.filter(key="under_13").latest("criteria_set__version").question
    assert agreement["under_13"] == {"criterion": "under_13", "question": question, "pairs": 7, "percent": 86}
    assert agreement["real_child"]["percent"] == 100
    # The curator's home page shows each criterion by its question, never by its key (issue 12 item 4).
    from django.utils.html import escape

    client.force_login(personas.curator)
    page = client.get("/").content.decode()
    table = page.split("How often reviewers answer alike", 1)[1].split("</table>", 1)[0]
    assert escape(question) in table and "under_13" not in table


def test_pending_reviews_never_count_in_the_agreement_figures(personas):
    item = make_item(personas.investigator)
    review_record(actor=personas.reviewers[0], item=item, answers=dict(YES))
    review_record(actor=personas.reviewers[1], item=item, answers=dict(YES))
    assert dashboards.criterion_agreement() == []


def test_roster_shows_workload_without_revealing_who_acted_on_pending_items(personas, client):
    agree(make_item(personas.investigator), personas.reviewer)  # pending: not counted yet
    make_item(personas.investigator)
    roster = {row["user"].username: row for row in dashboards.reviewer_roster()}
    assert roster["reviewer1"] == roster["reviewer1"] | {"done": 0, "open": 2}
    assert roster["reviewer2"]["open"] == 2  # the same: a review changes nothing visible
    approved_item(personas)
    roster = {row["user"].username: row for row in dashboards.reviewer_roster()}
    assert (roster["reviewer1"]["done"], roster["reviewer1"]["this_week"]) == (1, 1)
    client.force_login(personas.admin)
    page = client.get("/reviewers/").content.decode()
    assert "reviewer1" in page and "nothing here shows how anyone answers" in page
    client.force_login(personas.reviewer)
    assert client.get("/reviewers/").status_code == 403


def test_charts_escape_labels_and_carry_values():
    svg = charts.bar_chart([("<b>x</b>", 3), ("y", 0)], title="T & t")
    assert "&lt;b&gt;" in svg and "<b>" not in svg and ">3</text>" in svg and 'aria-label="T &amp; t"' in svg
    assert "no data yet" in charts.bar_chart([], title="Empty")


def test_curators_search_by_hash_value(personas, client):
    value = fake("sha256")
    item = make_item(personas.investigator)
    submission_withdraw(actor=personas.investigator, item=item)
    other = submission_create(actor=personas.investigator, item=ItemInput(
        media_type="image", external_reference="FIND-ME", signatures=[{"algorithm": "sha256", "value": value}]))
    client.force_login(personas.curator)
    page = client.get(f"/submissions/?value={value.upper()}").content.decode()
    assert "FIND-ME" in page and str(item.pk)[:8] not in page
    assert str(other.pk)[:8] in page
    assert "No item holds that hash value" in client.get("/submissions/?value=deadbeef").content.decode()
    client.force_login(personas.investigator)
    assert 'name="value"' not in client.get("/submissions/").content.decode()
