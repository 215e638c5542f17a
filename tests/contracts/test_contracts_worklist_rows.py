"""The worklist page and the county view print prepared values (issue 13): the same content
as the per-cell look-ups of the models did, in Chinese and in English."""

import datetime as dt
import html
import re
from urllib.parse import quote

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from contracts import selectors
from healthaid.figures import format_rate
from reports.indicators import contract_breakdown
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
    today = timezone.localdate()
    breakdown = contract_breakdown(
        users.county_staff, region=None, start=dt.date(today.year, 1, 1), end=today, today=today
    )
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


def test_county_view_serves_its_printed_rows_from_the_cache_until_the_figures_change(
    tree, team, users, client_as, settings, django_assert_num_queries
):
    """With the figures cached the page's rows come printed from the cache (no statement for
    the figures, the regions, the teams or the diseases) and go stale with the figures."""
    from django.core.cache import cache

    settings.CONTRACT_FIGURES_CACHE_SECONDS = 600
    cache.clear()
    member = MemberFactory(household=HouseholdFactory(village=tree.village))
    add_disease(member, "hypertension")
    ContractFactory(member=member, team=team, doctor=users.village_doctor, signed_on=YEAR_AGO)
    client = client_as(users.county_staff)
    url = reverse("reports:county-view")
    first = client.get(url)
    assert [(row["code"], row["contracted"]) for row in first.context["area_rows"]] == [
        (tree.township.code, 1)
    ]
    assert [row["team_id"] for row in first.context["team_rows"]] == [team.pk]
    # The session's user and profile (the tests' settings keep profiles uncached), no more.
    with django_assert_num_queries(2) as captured:
        again = client.get(url)
    tables = [query["sql"].split(" FROM ", 1)[1].split()[0] for query in captured]
    assert tables == ['"auth_user"', '"healthaid_userprofile"']
    assert again.context["area_rows"] == first.context["area_rows"]
    tables = re.compile(r"<table .*?</table>", re.DOTALL)  # (the pages' CSP nonces differ)
    assert tables.findall(again.content.decode()) == tables.findall(first.content.decode())
    # A new contract bumps the county's figures version: the rows are worked out again.
    other = MemberFactory(household=HouseholdFactory(village=tree.village))
    ContractFactory(member=other, team=team, doctor=users.village_doctor, signed_on=YEAR_AGO)
    after = client.get(url)
    assert [
        (row["code"], row["target"], row["contracted"]) for row in after.context["area_rows"]
    ] == [(tree.township.code, 2, 2)]
    assert "100.00%" in text(after.content.decode())
