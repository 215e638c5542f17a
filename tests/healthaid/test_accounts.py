import pytest
from django.urls import reverse

from tests.healthaid.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def post_login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_and_logout(users, client):
    response = post_login(client, "county", TEST_PASSWORD)
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_account_locks_after_repeated_failures(users, client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "county", "wrong")
    response = post_login(client, "county", TEST_PASSWORD)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    # another account from the same address is not locked
    assert post_login(client, "township", TEST_PASSWORD).status_code == 302


def test_csrf_is_enforced_on_forms(users):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("login"), {"username": "county", "password": TEST_PASSWORD})
    assert response.status_code == 403


def test_session_expires(settings):
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_password_validators_are_active(users, client):
    client.force_login(users.county_staff)
    response = client.post(
        reverse("password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": "123456", "new_password2": "123456"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]


def test_lockout_is_per_account_and_address(users, client, settings):
    """Failures from one address do not lock the account from another (no lock-out by name)."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"), {"username": "county", "password": "wrong"}, REMOTE_ADDR="6.6.6.6"
        )
    locked = client.post(
        reverse("login"),
        {"username": "county", "password": TEST_PASSWORD},
        REMOTE_ADDR="6.6.6.6",
    )
    assert locked.status_code == 429
    body = locked.content.decode()
    assert "登录失败次数过多" in body
    assert "30 分钟" in body
    elsewhere = client.post(
        reverse("login"),
        {"username": "county", "password": TEST_PASSWORD},
        REMOTE_ADDR="192.0.2.20",
    )
    assert elsewhere.status_code == 302


def test_one_address_is_rate_limited_across_usernames(users, client, settings):
    """Spraying one password over many usernames from one address stops at the address limit."""
    settings.LOGIN_IP_FAILURE_LIMIT = 12
    assert settings.LOGIN_IP_FAILURE_LIMIT > settings.AXES_FAILURE_LIMIT
    for n in range(settings.LOGIN_IP_FAILURE_LIMIT):
        response = client.post(
            reverse("login"),
            {"username": f"guess{n}", "password": "Spring2026"},
            REMOTE_ADDR="6.6.6.6",
        )
        # No single username reaches its own limit; the address's last failure locks it.
        assert response.status_code == (429 if n == settings.LOGIN_IP_FAILURE_LIMIT - 1 else 200)
    # Now the address is locked, even for a right password of an account never tried from it.
    response = client.post(
        reverse("login"),
        {"username": "township", "password": TEST_PASSWORD},
        REMOTE_ADDR="6.6.6.6",
    )
    assert response.status_code == 429
    # Another address is not.
    response = client.post(
        reverse("login"),
        {"username": "township", "password": TEST_PASSWORD},
        REMOTE_ADDR="192.0.2.20",
    )
    assert response.status_code == 302


def test_clinic_colleagues_share_an_address_below_its_limit(users, client, settings):
    """The default address limit leaves room for a clinic's staff behind one NAT address."""
    assert settings.LOGIN_IP_FAILURE_LIMIT >= 30
    for n in range(5):  # five colleagues, each one failure short of their own lock
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            client.post(
                reverse("login"),
                {"username": f"colleague{n}", "password": "typo"},
                REMOTE_ADDR="10.1.1.1",
            )
    response = client.post(
        reverse("login"),
        {"username": "village", "password": TEST_PASSWORD},
        REMOTE_ADDR="10.1.1.1",
    )
    assert response.status_code == 302


def test_success_does_not_reset_the_address_count(users, client, settings):
    settings.LOGIN_IP_FAILURE_LIMIT = 8
    for n in range(settings.LOGIN_IP_FAILURE_LIMIT - 1):
        client.post(
            reverse("login"), {"username": f"guess{n}", "password": "x"}, REMOTE_ADDR="6.6.6.6"
        )
    # An insider logs in with their own account from the same address...
    assert (
        client.post(
            reverse("login"),
            {"username": "village", "password": TEST_PASSWORD},
            REMOTE_ADDR="6.6.6.6",
        ).status_code
        == 302
    )
    client.post(reverse("logout"), REMOTE_ADDR="6.6.6.6")
    client.post(reverse("login"), {"username": "guess99", "password": "x"}, REMOTE_ADDR="6.6.6.6")
    # ...and the address's count went on: it is locked now.
    response = client.post(
        reverse("login"),
        {"username": "township", "password": TEST_PASSWORD},
        REMOTE_ADDR="6.6.6.6",
    )
    assert response.status_code == 429
