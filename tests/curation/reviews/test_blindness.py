"""Blind review (DESIGN.md invariant 3): while an item is pending, no response to anyone —
reviewers, curators, administrators, the submitter — reveals its reviews, verdicts, their number
or who gave them. Every GET route of the project is requested as every such user, in JSON and
HTML, and scanned for leaks. A new page is covered the day it is added."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from curation.reviews.services import review_record, review_recuse
from tests.curation.helpers import NO_UNDER_13, YES, make_item

pytestmark = pytest.mark.django_db
SECRET = "ZEBRA-COMMENT-7731"


def routes(resolver=None, prefix="") -> list[tuple[str, URLPattern]]:
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += routes(entry, prefix + str(entry.pattern))
        else:
            found.append((prefix + str(entry.pattern), entry))
    return found


def concrete_paths(item_id: str) -> list[str]:
    paths = []
    for pattern, _ in routes():
        if pattern.startswith(("django-admin/", "static/")) or "(?P<format>" in pattern:
            continue
        path = pattern.replace("<uuid:item_id>", item_id).lstrip("^").rstrip("$")
        if "<" in path or "(?" in path:
            continue  # needs an id of another kind: not about items
        paths.append("/" + path)
    # The Django admin's lists (its object pages need ids of other kinds).
    paths += ["/django-admin/", "/django-admin/accounts/user/", "/django-admin/curation/criteriaset/"]
    return sorted(set(paths))


# Pages whose purpose is to list people (by name, not by what they did): names are expected there.
PEOPLE_PAGES = {"/reviewers/", "/users/", "/tokens/", "/django-admin/accounts/user/", "/audit/", "/audit/export.csv"}


def leaks(text: str, other_reviewers: list[str], *, verdict_words: bool = True) -> list[str]:
    found = []
    if SECRET in text:
        found.append("a review comment")
    for name in other_reviewers:
        if re.search(rf"\b{re.escape(name)}\b", text):
            found.append(f"reviewer {name}")
    for word in ("agree", "disagree", "verdict", "Meets the criteria", "agreement") if verdict_words else ():
        if re.search(rf"\b{word}", text, flags=re.IGNORECASE):
            found.append(f"the word {word!r}")
    if re.search(r"\b[12] (review|vote|agreement)s?\b", text, flags=re.IGNORECASE):
        found.append("a review count")
    return found


def test_nothing_reveals_the_reviews_of_a_pending_item(personas, client, api):
    item = make_item(personas.investigator)
    r1, r2 = personas.reviewers[0], personas.reviewers[1]
    comments = {r1: f"{SECRET} one", r2: f"{SECRET} two"}
    review_record(actor=r1, item=item, answers=dict(YES), comment=comments[r1])
    review_record(actor=r2, item=item, answers=dict(YES), comment=comments[r2])
    review_recuse(actor=personas.reviewers[2], item=item, reason="conflict_of_interest")
    item.refresh_from_db()
    assert item.status == "pending"
    paths = concrete_paths(str(item.pk))
    # A reviewer's own receipt and history show what they themselves recorded (issue 12): their own
    # verdict and comment, and nothing of anyone else's review.
    own_pages = {f"/reviews/{item.pk}/", "/reviews/mine/"}
    assert f"/api/v1/submissions/{item.pk}/reviews/" in paths and f"/reviews/{item.pk}/" in paths
    viewers = [r1, r2, personas.reviewers[2], personas.reviewers[3], personas.curator, personas.admin,
               personas.investigator, personas.colleague]
    problems = []
    for viewer in viewers:
        others = [u.username for u in (r1, r2, personas.reviewers[2]) if u != viewer]
        client.force_login(viewer)
        token_client = api(viewer)
        for path in paths:
            for session, response in ((True, client.get(path)),
                                      (False, token_client.get(path, HTTP_ACCEPT="application/json"))):
                body = b"".join(response.streaming_content) if response.streaming else response.content
                text = body.decode(errors="replace") + str(dict(response.headers))
                if path.startswith("/api/v1/schema") or path.startswith("/api/v1/docs") or path.startswith(
                    "/api/v1/redoc"
                ):
                    continue  # the schema describes the review fields; it holds no data
                own = viewer in comments and path in own_pages
                if own and session and path != "/reviews/mine/":  # the history shows no comments
                    assert comments[viewer] in text, f"{viewer.username} does not see their own review on {path}"
                    text = text.replace(comments[viewer], "")
                for leak in leaks(text, [] if path in PEOPLE_PAGES else others, verdict_words=not own):
                    problems.append(f"{viewer.username} GET {path} ({response.status_code}): {leak}")
    assert not problems, "\n".join(problems)


def test_the_scanner_finds_a_leak_once_the_item_is_decided(personas, client):
    """The scan is not blind itself: after the decision the same pages do show reviews."""
    item = make_item(personas.investigator)
    review_record(actor=personas.reviewers[0], item=item, answers=dict(YES), comment=SECRET)
    review_record(actor=personas.reviewers[1], item=item, answers=dict(NO_UNDER_13))
    client.force_login(personas.curator)
    page = client.get(f"/submissions/{item.pk}/").content.decode()
    assert leaks(page, ["reviewer1", "reviewer2"])
