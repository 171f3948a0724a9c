"""Browser journeys: Debian's Chromium driven by Playwright against pytest-django's live server.

`playwright install` is never needed: the tests launch /usr/bin/chromium. Each person in a journey
gets a browser context of their own (their own cookies), kept for the whole journey. When a test
fails, every open page is saved under test-artifacts/e2e/ as a full-page screenshot.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django refuses database access from
# such a thread unless told otherwise. Test-only: the live server's requests run in another thread.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.factories import PASSWORD
from tests.object_storage import moto_server, s3_exports  # noqa: F401 (fixtures: test_object_storage_download.py)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
TIMEOUT_MS = 10_000

# Every journey commits data (the live server reads it from another thread); flushing tables
# afterwards would lose the migrations' rows (criteria set v1, feeds, audit head), so restore them.
journey = pytest.mark.django_db(transaction=True, serialized_rollback=True)

_reports = pytest.StashKey[dict]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    item.stash.setdefault(_reports, {})[report.when] = report


@pytest.fixture(autouse=True)
def initial_data(transactional_db) -> None:
    """Serialized rollback restores the migrations' rows in most orders, but not after every mix
    of earlier tests; make sure they are there."""
    from tests.conftest import ensure_initial_data

    ensure_initial_data()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class People:
    """One browser context (one person's browser) per name, created on first use."""

    def __init__(self, browser: Browser, base_url: str):
        self.browser, self.base_url = browser, base_url
        self.pages: dict[str, Page] = {}

    def __call__(self, name: str) -> Page:
        if name not in self.pages:
            context = self.browser.new_context(base_url=self.base_url, accept_downloads=True,
                                               viewport={"width": 1280, "height": 900})
            context.set_default_timeout(TIMEOUT_MS)
            self.pages[name] = context.new_page()
        return self.pages[name]

    def screenshot_all(self, test_name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
        names = list(self.pages)
        for name in names:
            # The page in use last gets the plain name; everyone else's page is saved beside it.
            target = ARTIFACTS / (f"{safe}.png" if name == names[-1] else f"{safe}-{name}.png")
            try:
                self.pages[name].screenshot(path=str(target), full_page=True)
            except Exception as exc:  # a broken page must not hide the real failure
                print(f"screenshot of {name}'s page failed: {exc}")

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


@pytest.fixture
def people(request, browser, live_server) -> Iterator[People]:
    """`people("curator")` is the curator's own browser page for the whole journey."""
    crowd = People(browser, live_server.url)
    expect.set_options(timeout=TIMEOUT_MS)
    yield crowd
    reports = request.node.stash.get(_reports, {})
    if any(r.failed for r in reports.values()):
        crowd.screenshot_all(request.node.name)
    crowd.close()


# --- two-factor sign-in ------------------------------------------------------------------------

def authenticator(user):
    """A confirmed TOTP device, as if the user had enrolled earlier."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def current_code(key: bytes, *, step: int = 30, t0: int = 0, digits: int = 6, drift: int = 0) -> str:
    from django_otp.oath import totp

    return f"{totp(key, step=step, t0=t0, digits=digits, drift=drift):0{digits}d}"


def code_from_secret(secret: str) -> str:
    """What an authenticator app shows for the base32 key printed on the enrolment page."""
    return current_code(base64.b32decode(secret + "=" * (-len(secret) % 8)))


def sign_in(page: Page, live_server, user) -> None:
    """The real flow: username and password, then the second factor (or enrolment without one).

    A device refuses a time step it has already accepted: sign each user in once per journey
    and keep their page (browser context) for the rest of it.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    page.goto(f"{live_server.url}/sign-in/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("Two-factor sign-in|Set up two-factor sign-in"))).to_be_visible()
    if "/two-factor/set-up/" in page.url:
        enrol(page)
    else:
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        page.get_by_label("Code").fill(current_code(device.bin_key, step=device.step, t0=device.t0,
                                                    digits=device.digits, drift=device.drift))
        page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Welcome, "))).to_be_visible()
    expect(page.get_by_role("banner").locator("summary", has_text=user.username)).to_be_visible()  # account menu


def enrol(page: Page) -> None:
    """The enrolment page: read the key as a person would type it into their app, confirm a code."""
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    assert_controls_labelled(page)
    secret = page.locator("#totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]+", secret), secret
    page.get_by_label("Code from the app").fill(code_from_secret(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="Continue").click()


# --- accessibility -----------------------------------------------------------------------------

UNLABELLED_CONTROLS = """() => Array.from(
    document.querySelectorAll('input:not([type=hidden]), select, textarea')
).filter(el => {
    const text = node => (node && node.textContent || '').trim();
    const aria = (el.getAttribute('aria-label') || '').trim();
    const labelledby = (el.getAttribute('aria-labelledby') || '').split(/\\s+/)
        .some(id => id && text(document.getElementById(id)));
    const label = Array.from(el.labels || []).some(l => text(l));
    return !(aria || labelledby || label);
}).map(el => el.outerHTML.slice(0, 160))"""


def assert_controls_labelled(page: Page) -> None:
    """Every form control on the page has a label: aria-label, aria-labelledby or a <label>."""
    unlabelled = page.evaluate(UNLABELLED_CONTROLS)
    assert not unlabelled, f"{page.url}: form controls without a label: {unlabelled}"


def open_nav(page: Page, name: str) -> None:
    """Follow a link in the top bar (main or account navigation, opening its menu if it is folded
    into one), as a person would."""
    pattern = re.compile(rf"^{re.escape(name)}\b")
    link = page.get_by_role("banner").get_by_role("link", name=pattern)
    folded = page.locator("header details.menu:not([open])").filter(
        has=page.locator("ul a", has_text=pattern))
    if not link.count() and folded.count():  # folded into a menu of the top bar: open it first
        folded.locator("summary").click()
    expect(link, f"the top bar has no {name!r} link").to_be_visible()
    link.click()


# --- screens: each role's main pages at desktop and phone width ----------------------------------

SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
WIDTHS = (1280, 390)

HORIZONTAL_OVERFLOW = """() => {
    const doc = document.documentElement;
    const wide = Array.from(document.querySelectorAll('main *')).filter(el => {
        // Boxes that scroll on their own (a wide table in .table-scroll) do not widen the page.
        for (let p = el.parentElement; p; p = p.parentElement) {
            const o = getComputedStyle(p).overflowX;
            if (o === 'auto' || o === 'scroll' || o === 'hidden') return false;
        }
        return el.getBoundingClientRect().right > doc.clientWidth + 1;
    }).slice(0, 5).map(el => el.outerHTML.slice(0, 120));
    return {scroll: doc.scrollWidth, client: doc.clientWidth, wide};
}"""


def assert_no_horizontal_scroll(page: Page) -> None:
    """The page (its main content above all) is no wider than the window: no horizontal scroll bar."""
    found = page.evaluate(HORIZONTAL_OVERFLOW)
    assert found["scroll"] <= found["client"] and not found["wide"], (
        f"{page.url} scrolls sideways at {found['client']} px: page {found['scroll']} px wide; "
        f"too wide: {found['wide']}")


def screens(page: Page, role: str, name: str) -> None:
    """Screenshot the page at 1280 px and at 390 px (test-artifacts/screens/<role>-<name>-<width>.png);
    at 390 px nothing may scroll sideways. The window is put back to 1280 px afterwards."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or {"width": 1280, "height": 900}
    try:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(50)  # let the layout settle at the new width
            page.screenshot(path=str(SCREENS / f"{role}-{name}-{width}.png"), full_page=True)
            if width < 600:
                assert_no_horizontal_scroll(page)
    finally:
        page.set_viewport_size(size)


def confirm_next(page: Page, expected: str | re.Pattern, *, accept: bool = True) -> list[str]:
    """Answer the next confirmation question (static/js/baseline.js); returns the questions seen so
    the caller can assert one was asked. `expected` must appear in (or match) the question."""
    asked: list[str] = []

    def answer(dialog) -> None:
        asked.append(dialog.message)
        ok = (expected.search(dialog.message) if isinstance(expected, re.Pattern)
              else expected in dialog.message)
        if accept and ok:
            dialog.accept()
        else:
            dialog.dismiss()

    page.once("dialog", answer)
    return asked


def start_the_day(people: People, live_server, user, role: str) -> Page:
    """A role's walk begins: the person (with an authenticator) signs in in their own browser and
    their home page is taken at both widths. Returns their page."""
    authenticator(user)
    page = people(role)
    sign_in(page, live_server, user)
    screens(page, role, "home")
    return page
