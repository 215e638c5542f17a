"""Every form's plain selects render in Python (healthaid.forms.FastSelect) with the markup
Django's widget templates would give: the same options, values, labels and selection."""

import re

import pytest
from django import forms

from healthaid.forms import BootstrapForm, FastNullBooleanSelect, FastSelect
from healthaid.models import Region

pytestmark = pytest.mark.django_db


def _tags(html: str) -> list[str]:
    """The markup as its tags and texts, whitespace between tags dropped."""
    return [part for part in re.split(r"(<[^>]+>)|\s*\n\s*", str(html)) if part]


class Sample(BootstrapForm):
    plain = forms.ChoiceField(
        choices=[("", "—"), ("a", "A & B"), ("Group", [("g1", "G1"), ("g2", "<G2>")])],
        required=False,
    )
    flag = forms.NullBooleanField(required=False)
    region = forms.ModelChoiceField(queryset=Region.objects.order_by("code"), required=False)
    many = forms.MultipleChoiceField(choices=[("x", "X")], required=False)


@pytest.mark.parametrize(
    "data",
    [{}, {"plain": "g2", "flag": "true", "region": "532328000000"}, {"flag": "false"}],
)
def test_fast_selects_render_what_django_s_templates_render(tree, data):
    form = Sample(data=data)
    assert type(form.fields["plain"].widget) is FastSelect
    assert type(form.fields["flag"].widget) is FastNullBooleanSelect
    assert type(form.fields["region"].widget) is FastSelect
    assert type(form.fields["many"].widget) is forms.SelectMultiple  # left to Django
    for name, django_widget in [
        ("plain", forms.Select),
        ("flag", forms.NullBooleanSelect),
        ("region", forms.Select),
    ]:
        bound = form[name]
        fast = bound.as_widget()
        widget = bound.field.widget
        fast_class, widget.__class__ = widget.__class__, django_widget
        try:
            slow = bound.as_widget()
        finally:
            widget.__class__ = fast_class
        assert _tags(fast) == _tags(slow), name
    html = str(form["plain"])
    assert "&lt;G2&gt;" in html and "A &amp; B" in html
    if data.get("plain"):
        assert '<option value="g2" selected>' in html
    if data.get("flag") == "true":
        assert '<option value="true" selected>' in str(form["flag"])
