"""A reviewer's day in the browser (issue 12, item 2): a "no" review asks first (cancelled: nothing
recorded; accepted: recorded), the page says what was recorded before moving on, Back to the
reviewed item says "you reviewed this on …", My reviews lists it, an all-yes review is sent without a
question, and on a phone the item's reference stays in view; the reviewer's pages at 1280 and 390 px."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from curation.models import Review
from tests.curation.helpers import make_item
from tests.e2e.conftest import (
    assert_controls_labelled,
    confirm_next,
    journey,
    open_nav,
    screens,
    start_the_day,
)


def answer(page, no: tuple[str, ...] = ()) -> None:
    """Answer every criterion: yes, except the questions (by their start) in `no`."""
    for group in page.locator("fieldset.criterion").all():
        question = group.locator("legend").inner_text()
        choice = "No" if any(text in question for text in no) else "Yes"
        group.get_by_label(choice, exact=True).check()


@journey
def test_a_reviewer_confirms_a_no_reads_what_was_recorded_and_goes_back(people, live_server, personas):
    first = make_item(personas.investigator, external_reference="ICSE-FIRST", note="long note\n" * 40)
    second = make_item(personas.investigator, external_reference="ICSE-SECOND")
    reviewer = personas.reviewer
    page = start_the_day(people, live_server, reviewer, "reviewer")

    open_nav(page, "Review queue")
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    screens(page, "reviewer", "queue")
    page.get_by_role("row", name=re.compile("ICSE-FIRST")).get_by_role("link", name="Review").click()
    expect(page.locator("#one-no-rejects")).to_contain_text('One "no" rejects the item for everyone.')
    assert_controls_labelled(page)
    screens(page, "reviewer", "review-item")

    # On a phone the reference stays in view while the reviewer scrolls down to the button.
    page.set_viewport_size({"width": 390, "height": 700})
    page.get_by_role("button", name="Record my review").scroll_into_view_if_needed()
    expect(page.locator("#review-ref")).to_be_in_viewport()
    expect(page.locator("#review-ref")).to_contain_text("ICSE-FIRST")
    page.set_viewport_size({"width": 1280, "height": 900})

    criterion = first.criteria_set.criteria.get(key="under_13").question
    answer(page, no=(criterion,))
    asked = confirm_next(page, "rejects this item for everyone", accept=False)
    page.get_by_role("button", name="Record my review").click()
    expect(page.locator("#review-form")).to_be_visible()
    assert asked and "You answered no to 1 criterion" in asked[0], asked
    assert not Review.objects.filter(submission=first).exists()  # cancelled: nothing was sent

    asked = confirm_next(page, "rejects this item for everyone")
    page.get_by_role("button", name="Record my review").click()
    expect(page.get_by_role("heading", name=re.compile("You reviewed item"))).to_be_visible()
    assert asked, "no question was asked before a 'no' was sent"
    expect(page.locator("#recorded-verdict")).to_have_text("Does not meet the criteria")
    expect(page.locator("#answered-no")).to_contain_text(criterion)
    assert Review.objects.get(submission=first).verdict == "disagree"
    screens(page, "reviewer", "reviewed")

    # Back to the reviewed item: the receipt again, never a 404 nor the form.
    page.go_back()
    page.reload()
    expect(page.get_by_text(re.compile(r"You reviewed this on \d{4}-\d\d-\d\d"))).to_be_visible()
    expect(page.locator("#review-form")).to_have_count(0)

    # On to the next item: all yes, sent without a question.
    page.locator("#next-item").click()
    expect(page.locator("#review-ref")).to_contain_text("ICSE-SECOND")
    answer(page)
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Record my review").click()
    expect(page.locator("#recorded-verdict")).to_have_text("Meets the criteria")
    assert asked == [], f"an all-yes review asked {asked}"
    assert Review.objects.get(submission=second).verdict == "agree"

    open_nav(page, "My reviews")
    expect(page.get_by_role("heading", name="My reviews")).to_be_visible()
    rows = page.locator("#my-reviews tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("ICSE-SECOND")
    expect(rows.nth(1)).to_contain_text("Does not meet the criteria")
    screens(page, "reviewer", "my-reviews")
