"""``{% pagination %}``: a list's count and page links, printed above and below its rows,
rendered once a page (``healthaid.templatetags.pagination``)."""

import pytest
from django.urls import reverse

from tests.households.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


def test_the_pagination_is_rendered_once_and_printed_twice(tree, users, client_as):
    for _ in range(3):
        HouseholdFactory(village=tree.village)
    response = client_as(users.county_staff).get(
        reverse("households:household-list"), {"page_size": 20, "page": 1}
    )
    assert response.status_code == 200
    names = [template.name for template in response.templates]
    assert names.count("includes/pagination.html") == 1
    html = response.content.decode()
    assert html.count('data-testid="result-count"') == 2
    top, bottom = html.split('data-testid="result-count"')[1:3]
    assert "3" in top.split("</div>")[0] and top.split("</div>")[0] == bottom.split("</div>")[0]


def test_a_list_without_rows_still_prints_its_count_twice(tree, users, client_as):
    response = client_as(users.county_staff).get(reverse("households:household-list"))
    html = response.content.decode()
    assert html.count('data-testid="result-count"') == 2
