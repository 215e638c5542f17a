"""NUL bytes are refused with a 400 wherever they come in, before the database sees them."""

from urllib.parse import urlencode

import pytest

from households.models import Household

pytestmark = pytest.mark.django_db


def test_nul_in_a_json_field_is_a_400(users, tree, api_as):
    response = api_as(users.county_staff).post(
        "/api/v1/households/",
        {"number": "N-1", "village": "53232810\x00201", "status": "registered"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "请求中含有空字符（\\0），任何字段都不接受。"}
    assert not Household.objects.filter(number="N-1").exists()


@pytest.mark.parametrize(
    "url",
    ["/api/v1/households/?village=5323%00", "/api/v1/regions/5323%00/", "/api/v1/households/"],
)
def test_nul_in_the_path_or_query_is_a_400(users, api_as, url):
    client = api_as(users.county_staff)
    if url.endswith("/households/"):
        response = client.post(
            url, "number=N-2&village=%00", content_type=("application/x-www-form-urlencoded")
        )
    else:
        response = client.get(url)
    assert response.status_code == 400
    assert "空字符" in response.json()["detail"]


@pytest.mark.parametrize("multipart", [True, False])
def test_nul_in_a_page_form_is_a_chinese_400_page(users, tree, client_as, multipart):
    client = client_as(users.county_staff)
    data = {"number": "N-3", "village": f"{tree.village.code}\x00", "address": "a\x00b"}
    if multipart:
        response = client.post("/households/new/", data)
    else:
        response = client.post(
            "/households/new/", urlencode(data), content_type="application/x-www-form-urlencoded"
        )
    assert response.status_code == 400
    body = response.content.decode()
    assert "请求有误" in body and "空字符" in body
    assert not Household.objects.filter(number="N-3").exists()
