"""Moving between pages keeps what a list is filtered by, encoded so that any filter value survives.
(Here, not in a package's folder: one pager serves the submissions' and the audit log's lists.)"""

import re
from html import unescape

import pytest

from core import audit
from tests.curation.helpers import make_item

pytestmark = pytest.mark.django_db


def page_links(html: str) -> dict[str, str]:
    nav = re.search(r'<nav class="pagination".*?</nav>', html, re.S)
    assert nav, "the page has no pagination"
    return {rel: unescape(href) for href, rel in re.findall(r'href="([^"]+)" rel="(prev|next)"', nav.group(0))}


def test_submission_pages_keep_the_status_filter(personas, client):
    for _ in range(51):
        make_item(personas.investigator)
    client.force_login(personas.investigator)
    first = client.get("/submissions/?status=pending").content.decode()
    assert page_links(first) == {"next": "?status=pending&page=2"}
    second = client.get("/submissions/" + page_links(first)["next"])
    assert second.status_code == 200
    assert page_links(second.content.decode()) == {"prev": "?status=pending&page=1"}


def test_audit_log_pages_and_export_keep_filters_with_reserved_characters(personas, client):
    # Only declared actions can be recorded (core/actions.py), so the reserved characters ride in
    # the object id filter.
    for _ in range(101):
        audit.record(actor=personas.admin, action="organisation.update", object_type="test", object_id="a&b #x",
                     details={})
    client.force_login(personas.admin)
    html = client.get("/audit/", {"object_id": "a&b #x"}).content.decode()
    assert page_links(html) == {"next": "?object_id=a%26b+%23x&page=2"}
    assert 'href="/audit/export.csv?object_id=a%26b+%23x"' in html
    second = client.get("/audit/" + page_links(html)["next"]).content.decode()
    assert "Page 2 of 2" in second and "a&amp;b #x" in second
