import re

import pytest

from accounts.models import Role

pytestmark = pytest.mark.django_db


def test_a_signed_in_user_sees_the_landing_page(personas, client):
    client.force_login(personas.curator)
    page = client.get("/").content.decode()
    assert "Welcome, curator" in page and 'data-role="curator"' in page


def test_wrong_password_does_not_reveal_whether_the_user_exists(personas, client):
    known = client.post("/sign-in/", {"username": "curator", "password": "wrong"}).content.decode()
    unknown = client.post("/sign-in/", {"username": "nobody", "password": "wrong"}).content.decode()
    message = "Those details did not match an active account."
    assert message in known and message in unknown
    assert "_auth_user_id" not in client.session


def _alert(page: str) -> str:
    return re.search(r'<p class="error" role="alert">(.*?)</p>', page, re.S).group(1)


def test_wrong_password_says_whom_to_contact_in_the_same_words_for_everyone(personas, client):
    known = client.post("/sign-in/", {"username": "curator", "password": "wrong"}).content.decode()
    unknown = client.post("/sign-in/", {"username": "nobody", "password": "wrong"}).content.decode()
    assert _alert(known) == _alert(unknown)
    assert "contact your organisation's Baseline administrator" in _alert(known)


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


def test_sign_out_ends_the_session(personas, client):
    client.force_login(personas.curator)
    client.post("/sign-out/")
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_sees_its_own_landing_panel(personas, client, role):
    user = personas.by_role()[role]
    client.force_login(user)
    page = client.get("/").content.decode()
    assert f'data-role="{role}"' in page
    others = set(Role.values) - {role}
    assert not any(f'data-role="{other}"' in page for other in others)


def test_a_user_without_roles_is_told_so(personas, client):
    client.force_login(personas.outsider)
    assert "You hold no role yet" in client.get("/").content.decode()


def test_navigation_follows_roles(personas, client):
    client.force_login(personas.partner)
    page = client.get("/").content.decode()
    assert '<a href="/tokens/">API</a>' in page
    assert "Audit log" not in page and "Review queue" not in page
    tokens = client.get("/tokens/").content.decode()
    assert 'href="/api/v1/docs/"' in tokens and 'href="/api/v1/schema/"' in tokens


def test_static_files_are_served_locally(personas, client):
    client.force_login(personas.partner)
    page = client.get("/").content.decode()
    assert "/static/css/baseline.css" in page
    assert "http://" not in page and "https://" not in page


def test_django_admin_is_for_administrators_only_and_read_only(personas, client):
    client.force_login(personas.curator)
    assert client.get("/django-admin/").status_code == 302
    client.force_login(personas.admin)
    assert client.get("/django-admin/").status_code == 200
    change = client.get(f"/django-admin/accounts/user/{personas.reviewer.pk}/change/")
    assert change.status_code == 200
    assert 'name="username"' not in change.content.decode()  # shown, not editable
    assert client.get("/django-admin/accounts/user/add/").status_code == 403
    response = client.post(
        f"/django-admin/accounts/user/{personas.reviewer.pk}/change/", {"username": "renamed"}
    )
    assert response.status_code == 403
    personas.reviewer.refresh_from_db()
    assert personas.reviewer.username == "reviewer1"


def test_browser_posts_need_the_csrf_token(personas):
    from django.test import Client

    from tests.clients import VerifiedClient

    client = VerifiedClient(enforce_csrf_checks=True)
    client.force_login(personas.investigator)
    assert client.post("/submit/", {"action": "submit", "media_type": "image", "sig_md5": "0" * 32,
                                    "external_reference": "R"}).status_code == 403
    assert Client(enforce_csrf_checks=True).post("/sign-in/", {"username": "x", "password": "y"}).status_code == 403


def test_the_csrf_cookie_is_out_of_reach_of_scripts(db):
    """No template or static file has JavaScript that reads it: forms carry the token."""
    from django.test import Client

    response = Client().get("/sign-in/")
    assert response.cookies["csrftoken"]["httponly"] is True
