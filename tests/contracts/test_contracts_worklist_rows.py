"""The worklist page and the county view print prepared values (issue 13): the same content
as the per-cell look-ups of the models did, in Chinese and in English."""

import datetime as dt
import html
import re
from urllib.parse import quote

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from contracts import selectors
from healthaid.figures import format_rate
from tests.contracts.factories import (
    ContactFactory,
    ContractFactory,
    HouseholdFactory,
    MemberFactory,
    add_disease,
)

pytestmark = pytest.mark.django_db

YEAR_AGO = dt.date.today() - dt.timedelta(days=300)


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_worklist_entries_show_what_the_models_say(tree, team, users, client_as, language):
    member = MemberFactory(household=HouseholdFactory(village=tree.village), phone="13811112222")
    add_disease(member, "hypertension")
    ContractFactory(member=member, team=team, doctor=users.village_doctor, signed_on=YEAR_AGO)
    contact = ContactFactory(household=member.household, name="王小明", phone="13900000000")
    client = client_as(users.village_doctor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    path = reverse("contracts:worklist") + "?sort=name&show="
    page = client.get(path).content.decode()
    entry = re.search(
        r'data-testid="worklist-entry" data-member="(\d+)">(.*?)</a>\s*</div>', page, re.DOTALL
    )
    assert entry and int(entry.group(1)) == member.pk
    body = entry.group(2)
    with translation.override(language):
        work = selectors.worklist(users.village_doctor, sort="name")
        (shown,) = [e for g in work.groups for e in g.entries]
        assert f"{member.get_sex_display()} · {member.age}" in text(body)
        assert reverse("contracts:member-schedule", args=[member.pk]) in body
        for window in shown.windows:
            label = f"{window.label} · {window.get_status_display()}"
            assert html.escape(label) in body
            assert f'data-status="{window.status}"' in body
        kind = contact.get_kind_display()
        assert f'data-testid="contact">{kind} 王小明 13900000000</a>' in page
        assert "tel:13811112222" in page
    quick = reverse("contracts:followup-quick", args=[member.pk])
    assert f'href="{quick}?next={quote(path, safe="/")}"' in page


def test_county_view_prints_the_breakdowns_rates(tree, team, users, client_as):
    member = MemberFactory(household=HouseholdFactory(village=tree.village))
    add_disease(member, "hypertension")
    ContractFactory(member=member, team=team, doctor=users.village_doctor, signed_on=YEAR_AGO)
    response = client_as(users.county_staff).get(reverse("reports:county-view"))
    page = response.content.decode()
    breakdown = response.context["breakdown"]
    areas = re.findall(r'<tr data-testid="area-row">(.*?)</tr>', page, re.DOTALL)
    assert len(areas) == len(breakdown.areas) > 0
    for row, html_row in zip(breakdown.areas, areas, strict=True):
        i = row.indicators
        assert text(html_row).split() == [
            *row.region.name.split(),
            str(i.target),
            str(i.contracted),
            format_rate(i.contract_rate),
            format_rate(i.key_group_contract_rate),
            format_rate(i.completion_rate),
            f"{i.windows_done}/{i.windows_due}",
        ]
    teams = re.findall(r'<tr data-testid="team-row">(.*?)</tr>', page, re.DOTALL)
    assert len(teams) == len(breakdown.teams) > 0
    for row, html_row in zip(breakdown.teams, teams, strict=True):
        assert f'href="{reverse("contracts:team-detail", args=[row.team.pk])}"' in html_row
        assert format_rate(row.indicators.contract_rate) in html_row
