"""The major-disease register (大病专项救治), large expenses and the township 通报.

Seed 001 asks every institution to report, around the "1319" major diseases, the major
diseases treated and the large medical expenses of its patients to the county and the
township poverty offices (重大疾病诊疗情况通报制度), so townships can act before an illness
pushes a household back into poverty.

* **Register**: one case per member and major disease (the catalogue's ``major`` category).
  :func:`major_disease_register_sync` adds the cases that the registry's diagnoses
  (``MemberDisease``) and the encounters diagnosed with a major disease imply; staff then
  keep the treating institution, status and note (:func:`major_disease_case_update`).
* **Costs to date** of a case: the member's settlements of encounters that ended on or after
  the diagnosis date (all, when it is unknown) and whose diagnosis is the case's disease or
  not recorded (settlement files carry no diagnosis): total and out of pocket.
* **Large expense** (重大医疗费用支出): a member whose out of pocket over the rolling 12 months
  up to a day (the 365 days ending on it) is more than the county's threshold
  (``SettlementPolicy.large_expense_threshold``, 5,000 yuan by default).
* **通报**: per township and month, an xlsx for the township poverty office with the month's
  new cases (diagnosed in the month, or entered on the register in it: a diagnosis recorded
  late is reported in the month it reached the register, never lost) and its large
  expenses (residents over the threshold at the month's end who had a settlement in the
  month, so a family is reported when its burden grows, not every month again).  ID numbers
  are masked.  Built as a ``Job`` (``medconsortium.tasks``) on the first of each month by
  Celery beat and on demand; the county sees which townships downloaded theirs.
"""

from __future__ import annotations

import datetime
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from healthaid import audit
from healthaid.choices import JobStatus
from healthaid.models import Job, Region
from households.catalogue import MAJOR
from households.models import Member, MemberDisease
from medconsortium.models import Encounter, MajorDiseaseCase, Settlement, TownshipBulletin
from medconsortium.settlement_selectors import (
    fen,
    out_of_pocket_by_member,
    policy_for_county,
)

__all__ = [
    "BULLETIN_JOB_KIND",
    "CaseCosts",
    "bulletin_build",
    "bulletin_mark_downloaded",
    "case_costs",
    "large_expenses",
    "major_disease_case_update",
    "major_disease_register_sync",
    "month_bounds",
    "rolling_year",
]

BULLETIN_JOB_KIND = "major_disease_bulletin"
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text Excel would run as a formula gets a leading apostrophe (as households.exports)."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def rolling_year(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The 12 months up to ``day``: the 365 days ending on it."""
    return day - datetime.timedelta(days=364), day


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following - datetime.timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# Register
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def major_disease_register_sync(*, county: Region | str, by) -> list[int]:
    """Add the cases the county's diagnoses and encounters imply; returns the new cases' ids.

    Existing cases are left as staff keep them.  Three reads and one insert.
    """
    prefix = (county if isinstance(county, str) else county.code)[:6]
    held = set(
        MajorDiseaseCase.objects.filter(
            member__household__village__code__startswith=prefix
        ).values_list("member_id", "disease_id")
    )
    wanted: dict[tuple[int, int], dict] = {}
    for member_id, disease_id, diagnosed_on in MemberDisease.objects.filter(
        member__household__village__code__startswith=prefix, disease__category=MAJOR
    ).values_list("member_id", "disease_id", "diagnosed_on"):
        wanted[(member_id, disease_id)] = {"diagnosed_on": diagnosed_on, "institution_id": None}
    for member_id, disease_id, admitted_on, institution_id in (
        Encounter.objects.filter(village__code__startswith=prefix, diagnosis__category=MAJOR)
        .order_by("admitted_on", "id")
        .values_list("member_id", "diagnosis_id", "admitted_on", "institution_id")
    ):
        entry = wanted.setdefault(
            (member_id, disease_id), {"diagnosed_on": admitted_on, "institution_id": None}
        )
        if entry["institution_id"] is None:
            entry["institution_id"] = institution_id
        if entry["diagnosed_on"] is None:
            entry["diagnosed_on"] = admitted_on
    user = by if getattr(by, "is_authenticated", False) else None
    new = [
        MajorDiseaseCase(
            member_id=member_id,
            disease_id=disease_id,
            diagnosed_on=values["diagnosed_on"],
            institution_id=values["institution_id"],
            created_by=user,
        )
        for (member_id, disease_id), values in sorted(wanted.items())
        if (member_id, disease_id) not in held
    ]
    created = MajorDiseaseCase.objects.bulk_create(new, batch_size=2000)
    if created:
        audit.record(
            action="create",
            by=by,
            target_type=MajorDiseaseCase._meta.label_lower,
            target_repr=_("%(count)d major-disease cases added from diagnoses and encounters")
            % {"count": len(created)},
            after={"created": len(created)},
            region_code=prefix.ljust(12, "0"),
        )
    return [case.pk for case in created]


@transaction.atomic
def major_disease_case_update(*, case: MajorDiseaseCase, data: dict, by) -> MajorDiseaseCase:
    """Staff's edit of a case (institution, status, diagnosis date, note), audited."""
    before = audit.snapshot(case)
    for name in ("institution", "status", "diagnosed_on", "note"):
        if name in data:
            setattr(case, name, data[name])
    case.full_clean()
    case.save()
    audit.record_update(case, before, by=by)
    return case


@dataclass
class CaseCosts:
    total: Decimal = Decimal("0.00")
    out_of_pocket: Decimal = Decimal("0.00")
    settlements: int = 0


def case_costs(cases: list[MajorDiseaseCase]) -> dict[int, CaseCosts]:
    """Costs to date of each case (see the module): one query for a page of cases."""
    if not cases:
        return {}
    rows = (
        Settlement.objects.filter(encounter__member_id__in={c.member_id for c in cases})
        .order_by()
        .values_list(
            "encounter__member_id",
            "encounter__diagnosis_id",
            "encounter__discharged_on",
            "total",
            "out_of_pocket",
        )
    )
    by_member = defaultdict(list)
    for member_id, diagnosis_id, day, total, oop in rows:
        by_member[member_id].append((diagnosis_id, day, fen(total), fen(oop)))
    result = {}
    for case in cases:
        costs = CaseCosts()
        for diagnosis_id, day, total, oop in by_member.get(case.member_id, ()):
            if diagnosis_id not in (None, case.disease_id):
                continue
            if case.diagnosed_on and day < case.diagnosed_on:
                continue
            costs.total += total
            costs.out_of_pocket += oop
            costs.settlements += 1
        result[case.pk] = costs
    return result


def large_expenses(
    settlements, *, county: Region | str, on: datetime.date
) -> dict[int, tuple[Decimal, int]]:
    """Members (of ``settlements``, a scoped queryset) over the county's threshold on ``on``."""
    threshold = policy_for_county(county).large_expense_threshold
    since, until = rolling_year(on)
    return out_of_pocket_by_member(settlements, since=since, until=until, above=threshold)


# ---------------------------------------------------------------------------------------------
# The township 通报
# ---------------------------------------------------------------------------------------------

CASE_HEADERS = ("序号", "村", "姓名", "证件号码", "疾病", "确诊日期", "救治机构", "救治状态")
EXPENSE_HEADERS = (
    "序号",
    "村",
    "姓名",
    "证件号码",
    "近12个月结算次数",
    "近12个月个人自付（元）",
    "本月个人自付（元）",
)


@dataclass
class BulletinContent:
    cases: list[list]
    expenses: list[list]
    threshold: Decimal


def bulletin_content(township: Region, month: datetime.date) -> BulletinContent:
    """The new cases and large expenses of the township's residents in ``month`` (5 queries)."""
    first, last = month_bounds(month)
    prefix = township.prefix
    new_cases = list(
        MajorDiseaseCase.objects.filter(member__household__village__code__startswith=prefix)
        .filter(
            Q(diagnosed_on__gte=first, diagnosed_on__lte=last)
            | Q(created_at__date__gte=first, created_at__date__lte=last)
        )
        .select_related("member__household__village", "disease", "institution")
        .order_by("member__household__village_id", "member_id", "disease__sort_order")
    )
    cases = [
        [
            index,
            case.member.household.village.name,
            case.member.name,
            case.member.id_number_masked,
            case.disease.name,
            case.diagnosed_on.isoformat() if case.diagnosed_on else "",
            case.institution.name if case.institution else "",
            str(case.get_status_display()),
        ]
        for index, case in enumerate(new_cases, start=1)
    ]
    settlements = Settlement.objects.filter(encounter__village__code__startswith=prefix)
    policy = policy_for_county(township.code)
    over = large_expenses(settlements, county=township.code, on=last)
    this_month = out_of_pocket_by_member(settlements, since=first, until=last)
    members = {
        m.pk: m
        for m in Member.objects.filter(pk__in=[pk for pk in over if pk in this_month])
        .select_related("household__village")
        .order_by()
    }
    ordered = sorted(members.values(), key=lambda m: (m.household.village_id, m.pk))
    expenses = [
        [
            index,
            member.household.village.name,
            member.name,
            member.id_number_masked,
            over[member.pk][1],
            float(over[member.pk][0]),
            float(this_month[member.pk][0]),
        ]
        for index, member in enumerate(ordered, start=1)
    ]
    return BulletinContent(cases, expenses, policy.large_expense_threshold)


def bulletin_workbook(township: Region, month: datetime.date, content: BulletinContent, path):
    """The xlsx: a sheet of new cases, a sheet of large expenses; cells formula-safe."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    title = f"{township.path.replace('/', '')} {month:%Y年%m月} 重大疾病诊疗情况通报"

    def sheet(name, heading, headers, rows, note=None):
        ws = workbook.create_sheet(name)
        cell = WriteOnlyCell(ws, value=safe_cell(heading))
        cell.font = bold
        ws.append([cell])
        if note:
            ws.append([safe_cell(note)])
        header_cells = []
        for header in headers:
            c = WriteOnlyCell(ws, value=header)
            c.font = bold
            header_cells.append(c)
        ws.append(header_cells)
        for row in rows:
            ws.append([safe_cell(v) for v in row])
        if not rows:
            ws.append(["本月无"])

    sheet("新发大病", title + "：新发重大疾病", CASE_HEADERS, content.cases)
    sheet(
        "重大医疗费用",
        title + "：重大医疗费用支出",
        EXPENSE_HEADERS,
        content.expenses,
        note=f"近12个月个人自付超过 {content.threshold:,.2f} 元且本月有结算的居民",
    )
    workbook.save(path)


def bulletin_build(*, township: Region, month: datetime.date, job: Job | None = None):
    """Build (or rebuild) the township's bulletin for ``month`` and store it on a job."""
    first, _last = month_bounds(month)
    content = bulletin_content(township, first)
    job = job or Job.objects.create(
        kind=BULLETIN_JOB_KIND,
        region_code=township.code,
        params={"township": township.code, "month": first.isoformat()},
    )
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
        bulletin_workbook(township, first, content, handle.name)
        handle.seek(0)
        name = f"通报-{township.name}-{first:%Y-%m}.xlsx"
        job.result_file.save(name, File(handle, name=name), save=False)
    job.status = JobStatus.SUCCEEDED
    job.finished_at = timezone.now()
    job.result = {"new_cases": len(content.cases), "large_expenses": len(content.expenses)}
    job.progress = job.total = 1
    job.save()
    bulletin, _created = TownshipBulletin.objects.update_or_create(
        township=township,
        month=first,
        defaults={
            "job": job,
            "new_cases": len(content.cases),
            "large_expenses": len(content.expenses),
            "generated_at": timezone.now(),
        },
    )
    return bulletin


@transaction.atomic
def bulletin_mark_downloaded(*, bulletin: TownshipBulletin, by) -> None:
    """Count a download; the first one is what the county's page reports."""
    bulletin = TownshipBulletin.objects.select_for_update().get(pk=bulletin.pk)
    if bulletin.first_downloaded_at is None:
        bulletin.first_downloaded_at = timezone.now()
        bulletin.first_downloaded_by = by if getattr(by, "is_authenticated", False) else None
    bulletin.downloads += 1
    bulletin.save(update_fields=["first_downloaded_at", "first_downloaded_by", "downloads"])
    audit.record(
        action="export",
        by=by,
        instance=bulletin,
        message=_("major-disease bulletin downloaded"),
    )
