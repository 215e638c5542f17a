"""``{% rows %}``: page labels written into a fragment once per set of texts (``[[ l_name ]]``)."""

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse

from healthaid.templatetags.rows import _with_labels, label_text
from tests.households.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db

PAGE = Template('{% load rows %}{% rows "households/household_rows.html" %}')


def render(**labels) -> str:
    return PAGE.render(Context({"rows": [ROW], **labels}))


ROW = {
    "url": "/households/1/",
    "number": "5323280001",
    "head_name": "<王>",
    "member_count": 3,
    "township": "元马镇",
    "village": "能禹村",
    "poverty_attribute": "一般贫困户",
    "status": "已脱贫",
    "lifted_year": 2019,
    "poverty_cause": None,
    "illness_caused": True,
    "illness_returned": False,
}


def test_labels_are_escaped_once_and_never_read_as_template_syntax():
    html = render(l_head='<b>&"{{ rows }}{% if %}', l_ill="因病")
    assert 'data-label="&lt;b&gt;&amp;&#34;&#123;&#123; rows }}&#123;% if %}"' in html
    assert ">因病</span>" in html
    # The values beside them are still escaped at render.
    assert "&lt;王&gt;" in html and "<王>" not in html
    assert label_text("{#") == "&#123;#"


def test_each_set_of_labels_gets_its_own_compiled_fragment():
    _with_labels.cache_clear()
    chinese = render(l_head="户主", l_people="人数")
    english = render(l_head="Head of household", l_people="People")
    assert 'data-label="户主"' in chinese and 'data-label="人数"' in chinese
    assert 'data-label="Head of household"' in english and "户主" not in english
    assert render(l_head="户主", l_people="人数") == chinese
    assert _with_labels.cache_info().currsize == 2


@pytest.mark.parametrize(
    ("language", "head", "people"),
    [("zh-hans", "户主", "人口数"), ("en", "Head of household", "People")],
)
def test_the_registry_lists_print_the_page_s_labels(users, client_as, tree, language, head, people):
    household = HouseholdFactory(village=tree.village)
    MemberFactory(household=household)
    client = client_as(users.county_staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get(reverse("households:household-list")).content.decode()
    assert f'<td data-label="{head}">' in html
    assert f'data-label="{people}" class="text-end"' in html
    members = client.get(reverse("households:member-list")).content.decode()
    assert 'data-testid="member-row"' in members and 'data-label="' in members
