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
