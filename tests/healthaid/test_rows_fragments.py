"""The hot lists' rows are Jinja2 fragments (``{% rows %}``, ``healthaid.jinja2``): they
escape what they print, and hold no text of their own (every label comes translated from
the page, where ``makemessages`` finds it)."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template, TemplateDoesNotExist
from django.urls import reverse
from django.utils.safestring import mark_safe

from households.choices import Relation
from tests.households.factories import HouseholdFactory, MemberFactory

ROOT = Path(__file__).resolve().parents[2]
FRAGMENTS = sorted(
    p for p in ROOT.glob("*/jinja2/**/*.html") if p.parts[len(ROOT.parts)] not in {".venv", "var"}
)


def test_there_are_fragments():
    assert len(FRAGMENTS) >= 5


@pytest.mark.parametrize("path", FRAGMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_fragment_prints_no_text_of_its_own(path):
    text = path.read_text()
    assert "{% trans" not in text and "_(" not in text
    # (``[[ l_name ]]``: a page label written in once a language, ``healthaid.templatetags.rows``)
    bare = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\[\[ l_\w+ \]\]|<[^>]*>", " ", text, flags=re.S)
    words = re.findall(r"[A-Za-z\u4e00-\u9fff]{2,}", bare)
    assert not words, f"untranslated text in {path.name}: {words}"


def render(source: str, **context) -> str:
    return Template("{% load rows %}" + source).render(Context(context))


def test_values_are_escaped_and_safe_strings_kept(db):
    rows = [
        {
            "url": "/m/1/",
            "name": mark_safe("<b>safe</b>"),
            "id_number_masked": "<script>",
            "sex": "男",
            "age": 3,
            "relation": "户主",
            "household_url": "/h/1/",
            "household_number": 'a"b',
            "township": "t",
            "village": "v",
            "diseases": [],
            "cards": [],
        }
    ]
    html = render('{% rows "households/member_rows.html" %}', rows=rows, l_empty="none")
    assert "<b>safe</b>" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "a&#34;b" in html


def test_an_empty_list_prints_the_pages_label():
    assert "没有" in render('{% rows "households/member_rows.html" %}', rows=[], l_empty="没有")


def test_a_missing_fragment_says_so():
    with pytest.raises(TemplateDoesNotExist):
        render('{% rows "households/nothing.html" %}')


def test_a_name_with_markup_is_printed_as_text_in_the_member_list(tree, users, client_as):
    household = HouseholdFactory(village=tree.village)
    MemberFactory(household=household, relation=Relation.HEAD, name="<i>王</i>")
    html = client_as(users.county_staff).get(reverse("households:member-list")).content.decode()
    assert "&lt;i&gt;王&lt;/i&gt;" in html and "<i>王</i>" not in html
