import pytest

pytestmark = pytest.mark.django_db


def test_favicon_ico_leads_to_the_svg(client):
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith(".svg")


def test_favicon_ico_is_reachable_before_the_second_factor(personas, client):
    client.force_login(personas.curator)  # signed in, second factor not yet passed
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and "/two-factor/" not in response["Location"]


def test_base_template_links_the_favicon(client):
    page = client.get("/sign-in/").content.decode()
    assert '<link rel="icon" href="/static/favicon' in page and 'type="image/svg+xml"' in page
