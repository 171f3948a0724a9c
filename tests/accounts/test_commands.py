import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiToken, Organisation, Role, User
from accounts.permissions import roles_of
from accounts.tokens import digest
from core.models import AuditEntry


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_create_organisation_creates_and_audits():
    out = run("create_organisation", "Northshire Police", "--country", "gb", "--kind", "law_enforcement")
    org = Organisation.objects.get(name="Northshire Police")
    assert (org.country, org.kind, org.is_active) == ("GB", "law_enforcement", True)
    assert "Northshire Police" in out
    assert AuditEntry.objects.filter(action="organisation.create", object_id=str(org.pk)).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["X", "--country", "ZZ", "--kind", "hotline"], "'ZZ' is not an ISO 3166-1 alpha-2 country code"),
        (["X", "--country", "FRA", "--kind", "hotline"], "'FRA' is not an ISO 3166-1 alpha-2 country code"),
        (["  ", "--country", "FR", "--kind", "hotline"], "An organisation needs a name"),
    ],
)
def test_create_organisation_rejects_bad_input(args, message):
    with pytest.raises(CommandError, match=message):
        run("create_organisation", *args)
    assert not Organisation.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_create_organisation_rejects_unknown_kind():
    with pytest.raises(CommandError, match="invalid choice: 'police'"):
        run("create_organisation", "X", "--country", "FR", "--kind", "police")


@pytest.mark.django_db
def test_create_organisation_refuses_duplicate_name_case_insensitively():
    run("create_organisation", "SafeLine", "--country", "NL", "--kind", "hotline")
    with pytest.raises(CommandError, match="exists"):
        run("create_organisation", "safeline", "--country", "NL", "--kind", "hotline")
    assert Organisation.objects.count() == 1


@pytest.mark.django_db
def test_create_user_with_several_roles_prints_a_usable_password():
    run("create_organisation", "Secretariat", "--country", "FR", "--kind", "secretariat")
    out = run(
        "create_user", "carol", "--organisation", "Secretariat", "--role", "curator", "--role", "administrator",
        "--email", "carol@example.org",
    )
    user = User.objects.get(username="carol")
    assert roles_of(user) == {Role.CURATOR, Role.ADMINISTRATOR}
    assert user.email == "carol@example.org"
    password = out.strip().splitlines()[-1].split(": ", 1)[1]
    assert user.check_password(password)
    assert user.must_change_password  # the operator saw it: it is replaced at the first sign-in
    assert "must choose a new password" in out
    assert AuditEntry.objects.filter(action="role.grant", object_id=str(user.pk)).count() == 2


@pytest.mark.django_db
def test_create_user_with_a_repeated_role_grants_it_once():
    run("create_organisation", "Secretariat", "--country", "FR", "--kind", "secretariat")
    out = run("create_user", "dan", "--organisation", "Secretariat", "--role", "investigator",
              "--role", "investigator")
    user = User.objects.get(username="dan")
    assert roles_of(user) == {Role.INVESTIGATOR}
    assert "with roles investigator." in out
    assert AuditEntry.objects.filter(action="role.grant", object_id=str(user.pk)).count() == 1


@pytest.mark.django_db
def test_create_organisation_refuses_a_name_longer_than_the_column():
    with pytest.raises(CommandError, match="at most 200 characters"):
        run("create_organisation", "N" * 201, "--country", "FR", "--kind", "hotline")
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_create_user_refuses_an_overlong_username_or_email():
    run("create_organisation", "Secretariat", "--country", "FR", "--kind", "secretariat")
    with pytest.raises(CommandError, match="at most 150 characters"):
        run("create_user", "u" * 151, "--organisation", "Secretariat", "--role", "curator")
    with pytest.raises(CommandError, match="at most 254 characters"):
        run("create_user", "eve", "--organisation", "Secretariat", "--role", "curator", "--email",
            "e" * 250 + "@example.org")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_create_token_refuses_an_overlong_name(personas):
    with pytest.raises(CommandError, match="A token's name is at most 100 characters"):
        run("create_token", "partner", "--name", "n" * 101)
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_create_user_refuses_reviewer_with_administrator():
    run("create_organisation", "Secretariat", "--country", "FR", "--kind", "secretariat")
    with pytest.raises(CommandError, match="cannot be held together"):
        run("create_user", "eve", "--organisation", "Secretariat", "--role", "reviewer", "--role", "administrator")
    assert not User.objects.filter(username="eve").exists()


@pytest.mark.django_db
def test_create_user_needs_an_existing_organisation():
    with pytest.raises(CommandError, match="No organisation named 'Nowhere'"):
        run("create_user", "eve", "--organisation", "Nowhere", "--role", "reviewer")


@pytest.mark.django_db
def test_create_user_refuses_an_unknown_role():
    with pytest.raises(CommandError, match="invalid choice: 'superuser'"):
        run("create_user", "eve", "--organisation", "X", "--role", "superuser")


@pytest.mark.django_db
def test_create_token_prints_the_key_alone_on_its_last_line(personas, client):
    out = run("create_token", "partner", "--days", "7")
    key = out.strip().splitlines()[-1]
    token = ApiToken.objects.get(user=personas.partner)
    assert token.digest == digest(key)
    assert 6.9 < (token.expires_at - token.created_at).total_seconds() / 86400 <= 7
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.json()["username"] == "partner"


@pytest.mark.django_db
def test_create_token_defaults_to_ninety_days(personas):
    run("create_token", "partner")
    token = ApiToken.objects.get(user=personas.partner)
    assert round((token.expires_at - token.created_at).total_seconds() / 86400) == 90


@pytest.mark.django_db
@pytest.mark.parametrize("days", ["0", "-3", "400"])
def test_create_token_refuses_bad_lifetimes(personas, days):
    with pytest.raises(CommandError, match="between 1 and 366 days"):
        run("create_token", "partner", "--days", days)
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_create_token_for_unknown_user_fails():
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        run("create_token", "ghost")
