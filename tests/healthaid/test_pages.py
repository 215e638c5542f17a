import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "role, title",
    [
        ("county_staff", "县卫健局工作台"),
        ("township_doctor", "家庭医生工作台"),
        ("village_doctor", "家庭医生工作台"),
        ("hospital_staff", "医院工作台"),
        ("supervisor", "督导工作台"),
    ],
)
def test_each_role_gets_its_dashboard(users, client_as, role, title):
    response = client_as(getattr(users, role)).get(reverse("home"))
    assert response.status_code == 200
    assert title in response.content.decode()


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_page_is_chinese_by_default(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_an_english_browser_still_gets_chinese(client, db):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "登录" in response.content.decode()


def test_the_language_switch_turns_english_on(users, client_as):
    client = client_as(users.county_staff)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "County bureau dashboard" in client.get(reverse("home")).content.decode()


def test_village_doctor_cards_count_only_their_scope(users, client_as):
    response = client_as(users.village_doctor).get(reverse("home"))
    cards = {str(card.title): card.value for card in response.context["cards"]}
    assert cards["乡镇"] == 0
    assert cards["行政村"] == 1


def test_the_old_contract_rates_address_redirects(client, users):
    client.force_login(users.county_staff)
    response = client.get("/contracts/county/?start=2024-01-01")
    assert response.status_code == 301
    assert response["Location"] == "/reports/contract-rates/?start=2024-01-01"
