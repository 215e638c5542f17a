"""The roster import keeps the county figures' derived rows (``contracts.owed``) exact: a
re-import that changes the diseases of contracted people and moves one of them to another
township's household shows at once in the figures, with nothing stale left to rebuild.

The import says which members it wrote with ``households.signals.members_changed`` (in its
write step, inside its transaction); without that call this test fails."""

import datetime as dt

import pytest
from django.utils import timezone

from contracts import owed, selectors, services
from contracts.models import ContractSpan, OwedDiseaseSlots
from households.importing.service import roster_import
from households.models import Household, Member
from tests.households.test_households_import_fixtures import (
    H1,
    H2,
    H3,
    ID,
    PLAIN_HEADER,
    good_rows_compact,
    good_xlsx,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


def _import(source, by):
    result = roster_import(source=source, filename="花名册.xlsx", by=by)
    assert result.applied, result.errors
    return result


def test_roster_reimport_keeps_the_contract_figures_exact(tree, team, users):
    by = users.county_staff
    _import(good_xlsx(), by)
    assert owed.drifted_members() == []  # new people, no contracts: nothing derived

    today = timezone.localdate()
    start = dt.date(today.year, 1, 1)
    for number in (H1, H2):
        services.household_sign(
            household=Household.objects.get(number=number),
            team=team,
            doctor=users.village_doctor,
            signed_on=start,
            by=by,
        )
    zhang = Member.objects.by_id_number(ID.a).get()  # 高血压、糖尿病
    zhao = Member.objects.by_id_number(ID.e).get()  # of H2 (丙间村)
    services.follow_up_record(member=zhang, visited_on=start, by=by)
    codes = set(
        OwedDiseaseSlots.objects.filter(member=zhang).values_list("disease__code", flat=True)
    )
    assert codes == {"hypertension", "t2dm"}
    assert owed.drifted_members() == []

    rows = {n: list(r) for n, r in good_rows_compact().items()}
    rows[2][14] = "高血压"  # 张三: 糖尿病 no longer listed
    rows[6][3] = H3  # 赵六 moves from H2 to H3, in 黄瓜园镇
    rows[6][:3] = ["元谋县", "黄瓜园镇", "小雷宰村委会"]
    _import(xlsx_bytes(rows, header=PLAIN_HEADER, messy=False), by)

    assert owed.drifted_members() == []
    codes = set(
        OwedDiseaseSlots.objects.filter(member=zhang).values_list("disease__code", flat=True)
    )
    assert codes == {"hypertension"}
    new_village = Household.objects.get(number=H3).village_id
    assert ContractSpan.objects.get(member=zhao).village == new_village
    tally = selectors.contract_counts(selectors.Area(), start=start, end=today)
    assert tally.by_village[new_village].contracted == 1
    assert tally.by_village_team[new_village, team.pk].contracted == 1
