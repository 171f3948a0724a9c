"""The shared page behaviour (static/js/baseline.js) and the narrow-screen check the role walks use."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_horizontal_scroll, confirm_next

FORM = """<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main>
  <div style="height: 3000px">tall</div>
  <div class="error-summary" data-error-summary role="alert"><h2>There is a problem</h2></div>
  <form id="f" data-confirm="Send it?" action="javascript:void(0)"><button id="send">Send</button>
  <button id="other" data-confirm="Really the other one?">Other</button></form>
  <p id="sent" hidden>sent</p>
</main></body></html>"""


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    yield page
    context.close()


def load(page, live_server, html: str) -> None:
    page.set_content(html)
    page.evaluate("document.getElementById('f') && document.getElementById('f').addEventListener("
                  "'submit', e => { if (!e.defaultPrevented) document.getElementById('sent').hidden = false; "
                  "e.preventDefault(); })")
    page.add_script_tag(url=f"{live_server.url}/static/js/baseline.js")


def test_a_question_is_asked_and_cancel_sends_nothing(page, live_server):
    load(page, live_server, FORM)
    asked = confirm_next(page, "Send it?", accept=False)
    page.click("#send")
    assert asked == ["Send it?"]
    expect(page.locator("#sent")).to_be_hidden()

    asked = confirm_next(page, "Send it?")
    page.click("#send")
    assert asked == ["Send it?"]
    expect(page.locator("#sent")).to_be_visible()


def test_a_buttons_own_question_wins(page, live_server):
    load(page, live_server, FORM)
    asked = confirm_next(page, "Really the other one?")
    page.click("#other")
    assert asked == ["Really the other one?"]
    expect(page.locator("#sent")).to_be_visible()


def test_the_error_summary_is_scrolled_to_and_focused(page, live_server):
    load(page, live_server, FORM)
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()


def test_a_wide_element_in_main_is_caught_and_a_scroll_box_is_not(page, live_server):
    page.set_content('<main><div style="width: 900px">wide</div></main>')
    with pytest.raises(AssertionError, match="scrolls sideways at 390 px"):
        assert_no_horizontal_scroll(page)
    page.set_content('<main><div style="overflow-x: auto"><div style="width: 900px">wide</div></div></main>')
    assert_no_horizontal_scroll(page)
