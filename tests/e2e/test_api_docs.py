"""The API documentation page in a real browser: it renders the schema and the console stays clean
(no Content-Security-Policy refusals, no failed requests, no script errors) (issue 12, item 7)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import journey, sign_in


def _watch(page) -> list[str]:
    """Everything the page would show in the browser console as an error, and every failed load."""
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
            if msg.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: problems.append(f"failed: {req.url} {req.failure}"))
    page.on("response", lambda res: problems.append(f"{res.status}: {res.url}") if res.status >= 400 else None)
    return problems


@journey
def test_api_docs_render_without_console_errors(people, live_server, personas):
    page = people("partner")
    sign_in(page, live_server, personas.partner)
    problems = _watch(page)
    # Violations are also reported to the page as events; count them even if the console is quiet.
    page.add_init_script("""window.__csp = [];
        document.addEventListener('securitypolicyviolation',
            e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));""")

    page.goto(f"{live_server.url}/api/v1/docs/")
    expect(page.get_by_role("heading", name="Baseline API")).to_be_visible()
    latest = page.locator(".opblock").filter(has_text="/api/v1/releases/latest/")
    expect(latest).to_be_visible()
    latest.locator(".opblock-summary").click()
    expect(latest.locator(".responses-wrapper")).to_contain_text("version")
    page.wait_for_load_state("networkidle")

    assert page.evaluate("window.__csp") == []
    assert problems == []


@journey
def test_pages_link_the_favicon_and_it_loads(people, live_server, personas):
    page = people("visitor")
    problems = _watch(page)
    page.goto(f"{live_server.url}/sign-in/")
    href = page.locator("link[rel=icon]").get_attribute("href")
    assert href and href.endswith(".svg")
    assert page.request.get(f"{live_server.url}{href}").ok
    assert page.request.get(f"{live_server.url}/favicon.ico").ok
    page.wait_for_load_state("networkidle")
    assert problems == []
