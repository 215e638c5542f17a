"""A briefing's content: one section per topic with data in the period, from the indicators.

Every figure comes from a function of ``reports.indicators`` (which reads the apps'
selectors); nothing here counts records. A section has its placeholders (the values its
narrative template may name), its figures for the raw-data sheet (definition, numerator,
denominator), a table by the publisher's child regions (townships of a county, counties of a
prefecture, villages of a township) and a chart of that table.

The text of the document is the bureau's Chinese, whatever the page language, like the
seeds: it is a document the county issues, not interface text.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from healthaid.choices import RegionLevel
from healthaid.figures import rate
from healthaid.models import Region
from reports import indicators
from reports.briefings import formats as fmt
from reports.briefings.narrative import fill


@dataclass
class Figure:
    key: str
    label: str
    value: str
    definition: str
    numerator: str = ""
    denominator: str = ""


@dataclass
class Chart:
    title: str
    categories: list[str]
    series: list[tuple[str, list[float]]]
    unit: str = ""


@dataclass
class Section:
    key: str
    title: str
    placeholders: dict[str, str]
    figures: list[Figure]
    headers: list[str]
    rows: list[list[object]]
    chart: Chart | None
    narrative: str = ""


@dataclass
class Approval:
    unit_name: str
    status: str
    status_label: str
    approved: bool


@dataclass
class Document:
    publisher: Region
    kind_label: str
    issue: str
    start: datetime.date
    end: datetime.date
    issued_on: datetime.date
    sections: list[Section]
    approvals: list[Approval] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.kind_label

    @property
    def provisional(self) -> list[Approval]:
        return [a for a in self.approvals if not a.approved]


# --- default narratives, in the seeds' style (seed 002) -----------------------------------

COMMON_PLACEHOLDERS = ("area", "period", "publisher")

DEFAULT_TEXTS: dict[str, str] = {
    "contracts": (
        "{period}，{area}共组建家庭医生签约服务团队{teams}个，重点人群签约率达{key_group_contract_rate}，"
        "其中，建档立卡贫困人口签约{contracted}人，签约率为{contract_rate}；应履约随访{windows_due}次，"
        "已完成{windows_done}次，履约率{completion_rate}。"
    ),
    "screening": (
        "{period}，{area}共筛查{screened}人，发现异常{abnormal}人，异常率{abnormal_rate}，"
        "待确诊{suspected_to_confirm}人；应体检{checkup_target}人，已体检{checked_up}人，"
        "健康体检覆盖率{checkup_coverage}。"
    ),
    "five_ones": (
        "{area}“五个一”行动共覆盖建档立卡户{households_targeted}户，全部完成{all_done}户，"
        "完成率{all_done_rate}，逾期未完成{overdue}户。"
    ),
    "free_clinics": (
        "{period}，{area}共开展义诊活动{sessions}场次，参与医务人员{staff_times}人次，"
        "服务群众{served}人次，发放宣传资料{leaflets}份，义诊服务总价值{total_value_wan}万元。"
    ),
    "consortium": (
        "{period}，{area}医联体共派出专家{experts}人次，开展门诊{clinic_sessions}场，接诊门诊患者{outpatients}人次，"
        "带教查房{teaching_rounds}人次，病例讨论{case_discussions}人次，手术带教{surgeries_taught}场，"
        "开展业务培训{trainings}场；双向转诊上转{referrals_up}人次，下转{referrals_down}人次。"
    ),
    "settlements": (
        "{area}建档立卡贫困人口门诊就诊{outpatient_visits}人次，总费用{outpatient_total_wan}万元，"
        "统筹支付{outpatient_pooled_wan}万元，个人支付{outpatient_out_of_pocket_wan}万元；"
        "{area}建档立卡贫困人口规范转诊转院住院{inpatient_person_times}人次，"
        "总费用{inpatient_total_wan}万元，个人自付{inpatient_out_of_pocket_wan}万元，"
        "实际报销比例{actual_reimbursement_ratio}，人均自付{per_capita_out_of_pocket}元，"
        "自付比例{out_of_pocket_ratio}。"
    ),
    "major_disease": (
        "{area}大病集中救治{major_disease_treated}人，慢病签约服务管理{chronic_under_contract}人，"
        "重病兜底保障{assisted}人。"
    ),
    "rectification": (
        "{period}，{area}新发现问题{found_in_period}个，累计排查问题{items_total}个，"
        "已整改销号{closed}个（其中本期销号{closed_in_period}个），整改销号率{close_rate}；"
        "正在整改{in_progress}个，整改完成待验收{awaiting_check}个，逾期未整改{overdue}个。"
    ),
}

SECTION_TITLES: dict[str, str] = {
    "contracts": "家庭医生签约服务",
    "screening": "健康筛查和体检",
    "five_ones": "“五个一”行动",
    "free_clinics": "义诊活动",
    "consortium": "医联体建设和双向转诊",
    "settlements": "医疗费用结算和报销",
    "major_disease": "大病救治和“三个一批”",
    "rectification": "问题整改",
}

# The placeholders of each section (besides the common ones); the template editor offers
# and accepts exactly these.
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "contracts": (
        "teams", "target", "contracted", "contract_rate", "key_group_target",
        "key_group_contracted", "key_group_contract_rate", "windows_due", "windows_done",
        "completion_rate",
    ),
    "screening": (
        "screened", "abnormal", "abnormal_rate", "suspected_to_confirm", "checkup_target",
        "checked_up", "checkup_coverage",
    ),
    "five_ones": ("households_targeted", "all_done", "all_done_rate", "overdue", "campaigns"),
    "free_clinics": (
        "sessions", "staff_times", "served", "leaflets", "drug_value", "service_value",
        "total_value", "total_value_wan",
    ),
    "consortium": (
        "experts", "clinic_sessions", "outpatients", "teaching_rounds", "case_discussions",
        "surgeries_taught", "trainings", "people_trained", "referrals_up", "referrals_down",
    ),
    "settlements": (
        "outpatient_visits", "outpatient_total_wan", "outpatient_pooled_wan",
        "outpatient_out_of_pocket_wan", "inpatient_person_times", "inpatient_total_wan",
        "inpatient_out_of_pocket_wan", "actual_reimbursement_ratio", "per_capita_out_of_pocket",
        "out_of_pocket_ratio", "one_stop_rate", "treat_first_pay_later_rate",
    ),
    "major_disease": ("major_disease_treated", "chronic_under_contract", "assisted"),
    "rectification": (
        "items_total", "found_in_period", "open", "in_progress", "awaiting_check", "closed",
        "closed_in_period", "overdue", "close_rate",
    ),
}  # fmt: skip

SECTION_KEYS = tuple(DEFAULT_TEXTS)


# Sections whose data comes from an app that may not be installed.
SECTION_APPS = {"rectification": "rectification"}


def available_sections() -> tuple[str, ...]:
    """The sections this installation can write (the rectification section needs its app)."""
    from django.apps import apps

    return tuple(
        key
        for key in SECTION_KEYS
        if key not in SECTION_APPS or apps.is_installed(SECTION_APPS[key])
    )


def allowed_placeholders(section: str) -> frozenset[str]:
    return frozenset(COMMON_PLACEHOLDERS) | frozenset(PLACEHOLDERS[section])


# --- the regions of the tables ------------------------------------------------------------

CHILD_LEVEL = {
    RegionLevel.PROVINCE: RegionLevel.PREFECTURE,
    RegionLevel.PREFECTURE: RegionLevel.COUNTY,
    RegionLevel.COUNTY: RegionLevel.TOWNSHIP,
}


def child_regions(region: Region) -> list[Region]:
    level = CHILD_LEVEL.get(region.level, RegionLevel.VILLAGE)
    if region.level == RegionLevel.VILLAGE:
        return []
    return list(Region.objects.filter(level=level, code__startswith=region.prefix).order_by("code"))


def _f(value: Decimal | None) -> float:
    return 0.0 if value is None else float(value)


# --- the sections -------------------------------------------------------------------------


@dataclass
class Context:
    user: object
    region: Region
    start: datetime.date
    end: datetime.date
    today: datetime.date
    children: list[Region]


def contracts_section(ctx: Context) -> Section | None:
    breakdown = indicators.contract_breakdown(
        ctx.user, region=ctx.region, start=ctx.start, end=ctx.end, today=ctx.today
    )
    total = breakdown.total
    if not total.target and not total.windows_due:
        return None
    values = {
        "teams": fmt.count(len(breakdown.teams)),
        "target": fmt.count(total.target),
        "contracted": fmt.count(total.contracted),
        "contract_rate": fmt.percent(total.contract_rate),
        "key_group_target": fmt.count(total.key_group_target),
        "key_group_contracted": fmt.count(total.key_group_contracted),
        "key_group_contract_rate": fmt.percent(total.key_group_contract_rate),
        "windows_due": fmt.count(total.windows_due),
        "windows_done": fmt.count(total.windows_done),
        "completion_rate": fmt.percent(total.completion_rate),
    }
    figures = [
        Figure("teams", "家庭医生签约服务团队（个）", values["teams"], "辖区内的家庭医生团队数"),
        Figure(
            "contract_rate",
            "建档立卡贫困人口签约率",
            values["contract_rate"],
            "期内有有效签约的建档立卡人口 ÷ 建档立卡人口",
            values["contracted"],
            values["target"],
        ),
        Figure(
            "key_group_contract_rate",
            "重点人群签约率",
            values["key_group_contract_rate"],
            "期内有有效签约的重点人群 ÷ 重点人群（65岁以上、0-6岁、孕产妇、残疾人、四种慢病患者）",
            values["key_group_contracted"],
            values["key_group_target"],
        ),
        Figure(
            "completion_rate",
            "履约率",
            values["completion_rate"],
            "期内已完成的随访窗口 ÷ 期内应随访的窗口",
            values["windows_done"],
            values["windows_due"],
        ),
    ]
    rows, categories, contract_rates, completion_rates = [], [], [], []
    for area in breakdown.areas:
        ind = area.indicators
        rows.append(
            [
                area.region.name,
                ind.target,
                ind.contracted,
                fmt.percent(ind.contract_rate),
                ind.windows_due,
                ind.windows_done,
                fmt.percent(ind.completion_rate),
            ]
        )
        categories.append(area.region.name)
        contract_rates.append(_f(ind.contract_rate))
        completion_rates.append(_f(ind.completion_rate))
    return Section(
        "contracts",
        SECTION_TITLES["contracts"],
        values,
        figures,
        ["地区", "建档立卡人口", "签约人数", "签约率", "应随访", "已随访", "履约率"],
        rows,
        Chart(
            "签约率和履约率",
            categories,
            [("签约率", contract_rates), ("履约率", completion_rates)],
            "%",
        ),
    )


def _by_child(ctx: Context, compute: Callable[[Region], object]) -> list[tuple[Region, object]]:
    return [(child, compute(child)) for child in ctx.children]


def _by_child_grouped(ctx: Context, grouped: Callable[..., dict]) -> list[tuple[Region, object]]:
    """The table's rows from one grouped computation for all the children (``grouped`` takes
    the user, region, period, level and the children's prefixes, and answers by prefix)."""
    if not ctx.children:
        return []
    by_area = grouped(
        ctx.user,
        region=ctx.region,
        start=ctx.start,
        end=ctx.end,
        level=ctx.children[0].level,
        areas=[child.prefix for child in ctx.children],
    )
    return [(child, by_area[child.prefix]) for child in ctx.children]


def screening_section(ctx: Context) -> Section | None:
    def compute(region):
        return indicators.screening_indicators(
            ctx.user, region=region, start=ctx.start, end=ctx.end
        )

    total = compute(ctx.region)
    if not total["screened"] and not total["checked_up"]:
        return None
    values = {
        "screened": fmt.count(total["screened"]),
        "abnormal": fmt.count(total["abnormal"]),
        "abnormal_rate": _pct(total["abnormal_rate"]),
        "suspected_to_confirm": fmt.count(total["suspected_to_confirm"]),
        "checkup_target": fmt.count(total["checkup_target"]),
        "checked_up": fmt.count(total["checked_up"]),
        "checkup_coverage": _pct(total["checkup_coverage"]),
    }
    figures = [
        Figure("screened", "筛查人数", values["screened"], "期内至少筛查一次的人数"),
        Figure(
            "abnormal_rate",
            "筛查异常率",
            values["abnormal_rate"],
            "筛查结果异常的人数 ÷ 筛查人数",
            values["abnormal"],
            values["screened"],
        ),
        Figure(
            "suspected_to_confirm",
            "待确诊人数",
            values["suspected_to_confirm"],
            "现有未确诊或排除的疑似病例人数",
        ),
        Figure(
            "checkup_coverage",
            "健康体检覆盖率",
            values["checkup_coverage"],
            "期末所在半年内已免费体检的人数 ÷ 建档立卡户人口",
            values["checked_up"],
            values["checkup_target"],
        ),
    ]
    rows, categories, screened, abnormal = [], [], [], []
    for child, data in _by_child_grouped(ctx, indicators.screening_indicators_by_area):
        rows.append(
            [
                child.name,
                data["screened"],
                data["abnormal"],
                _pct(data["abnormal_rate"]),
                data["checkup_target"],
                data["checked_up"],
                _pct(data["checkup_coverage"]),
            ]
        )
        categories.append(child.name)
        screened.append(data["screened"])
        abnormal.append(data["abnormal"])
    return Section(
        "screening",
        SECTION_TITLES["screening"],
        values,
        figures,
        ["地区", "筛查人数", "异常人数", "异常率", "应体检", "已体检", "体检覆盖率"],
        rows,
        Chart(
            "筛查人数和异常人数", categories, [("筛查人数", screened), ("异常人数", abnormal)], "人"
        ),
    )


def _pct(text: str | None) -> str:
    return "–" if text is None else f"{text}%"


def _child_key(ctx: Context, code: str) -> str:
    """The code of the table's region (a child of the publisher) that ``code`` lies in."""
    level = ctx.children[0].level if ctx.children else RegionLevel.VILLAGE
    return code[:level].ljust(12, "0")


def five_ones_section(ctx: Context) -> Section | None:
    """The campaigns of the publisher's counties running in the period, their progress as of
    the period's end: one computation a campaign (``screening.selectors.campaign_progress``,
    which counts by township and village too), added up by the table's regions."""
    from screening import selectors as screening_selectors
    from screening.models import Campaign

    if ctx.region.level >= RegionLevel.COUNTY:
        county_prefix = ctx.region.prefix[:6]
    else:
        county_prefix = ctx.region.prefix
    campaigns = list(
        Campaign.objects.visible_to(ctx.user)
        .filter(
            county__code__startswith=county_prefix, starts_on__lte=ctx.end, ends_on__gte=ctx.start
        )
        .select_related("county")
        .order_by("county_id", "starts_on")
    )
    if not campaigns:
        return None
    targeted = done = overdue = 0
    by_child: dict[str, list[int]] = {}
    narrow = ctx.region if ctx.region.level >= RegionLevel.COUNTY else None
    for campaign in campaigns:
        progress = screening_selectors.campaign_progress(
            campaign, ctx.user, region=narrow, today=ctx.end
        )
        targeted += progress.total.targeted
        done += progress.total.all_done
        overdue += progress.total.overdue
        parts = (
            progress.villages if ctx.region.level >= RegionLevel.TOWNSHIP else progress.townships
        )
        for row in parts:
            code = row.key if len(row.key) == 12 else f"{row.key}000"
            sums = by_child.setdefault(_child_key(ctx, code), [0, 0, 0])
            sums[0] += row.tally.targeted
            sums[1] += row.tally.all_done
            sums[2] += row.tally.overdue
    if not targeted:
        return None
    values = {
        "households_targeted": fmt.count(targeted),
        "all_done": fmt.count(done),
        "all_done_rate": fmt.percent(rate(done, targeted)),
        "overdue": fmt.count(overdue),
        "campaigns": "、".join(c.name for c in campaigns),
    }
    figures = [
        Figure(
            "all_done_rate",
            "“五个一”全部完成率",
            values["all_done_rate"],
            "各项均已完成的目标户 ÷ 目标户（期末时点）",
            values["all_done"],
            values["households_targeted"],
        ),
        Figure(
            "overdue",
            "逾期未完成户数",
            values["overdue"],
            "组织实施阶段结束后仍未全部完成的目标户",
        ),
    ]
    rows, categories, rates = [], [], []
    for child in ctx.children:
        t, d, o = by_child.get(child.code, (0, 0, 0))
        if not t:
            continue
        rows.append([child.name, t, d, fmt.percent(rate(d, t)), o])
        categories.append(child.name)
        rates.append(_f(rate(d, t)))
    return Section(
        "five_ones",
        SECTION_TITLES["five_ones"],
        values,
        figures,
        ["地区", "目标户数", "全部完成户数", "完成率", "逾期户数"],
        rows,
        Chart("“五个一”完成率", categories, [("完成率", rates)], "%"),
    )


def free_clinics_section(ctx: Context) -> Section | None:
    """The free clinics held in the area and period (``screening.selectors``'s totals and
    their breakdown by township, or village in a township), added up by the table's regions."""
    from screening import selectors as screening_selectors

    total_sums, parts = screening_selectors.free_clinic_totals(
        ctx.user, region=ctx.region, start=ctx.start, end=ctx.end
    )
    total = total_sums.as_json()
    if not total["sessions"]:
        return None
    by_child: dict[str, list] = {}
    for region, sums in parts:
        row = by_child.setdefault(_child_key(ctx, region.code), [0, 0, 0, Decimal("0")])
        row[0] += sums.sessions
        row[1] += sums.staff_times
        row[2] += sums.served
        row[3] += sums.total_value
    values = {
        "sessions": fmt.count(total["sessions"]),
        "staff_times": fmt.count(total["staff_times"]),
        "served": fmt.count(total["served"]),
        "leaflets": fmt.count(total["leaflets"]),
        "drug_value": total["drug_value"],
        "service_value": total["service_value"],
        "total_value": total["total_value"],
        "total_value_wan": fmt.wan(Decimal(total["total_value"])),
    }
    figures = [
        Figure("sessions", "义诊场次", values["sessions"], "期内在辖区举办的义诊活动场次"),
        Figure("served", "服务群众（人次）", values["served"], "各场义诊服务人次之和"),
        Figure(
            "total_value",
            "义诊服务总价值（元）",
            values["total_value"],
            "药品价值 + 服务价值",
            f"{values['drug_value']} + {values['service_value']}",
        ),
    ]
    rows, categories, served = [], [], []
    for child in ctx.children:
        if child.code not in by_child:
            continue
        sessions, staff, people, value = by_child[child.code]
        rows.append([child.name, sessions, staff, people, fmt.wan(value)])
        categories.append(child.name)
        served.append(people)
    return Section(
        "free_clinics",
        SECTION_TITLES["free_clinics"],
        values,
        figures,
        ["地区", "场次", "医务人员（人次）", "服务群众（人次）", "总价值（万元）"],
        rows,
        Chart("义诊服务人次", categories, [("服务群众", served)], "人次"),
    )


def consortium_section(ctx: Context) -> Section | None:
    def compute(region):
        return indicators.consortium_summary(ctx.user, region=region, start=ctx.start, end=ctx.end)

    total = compute(ctx.region)
    data = total.as_json()
    counted = list(indicators.CONSORTIUM_SESSION_FIELDS) + ["referrals_up", "referrals_down"]
    if not any(data[k] for k in counted):
        return None
    values = {k: fmt.count(data[k]) for k in counted if k != "sessions"}
    values["clinic_sessions"] = fmt.count(data["sessions"])
    figures = [
        Figure("experts", "派出专家（人次）", values["experts"], "期内举办的专家坐诊派出专家之和"),
        Figure(
            "clinic_sessions", "开展门诊（场）", values["clinic_sessions"], "开设门诊的专家坐诊场次"
        ),
        Figure(
            "referrals_up", "上转（人次）", values["referrals_up"], "期内申请、患者居住在辖区的上转"
        ),
        Figure(
            "referrals_down",
            "下转（人次）",
            values["referrals_down"],
            "期内申请、患者居住在辖区的下转",
        ),
        Figure(
            "reserved_slot_use_rate",
            "预留号源使用率",
            fmt.percent(total.reserved_slot_use_rate),
            "转诊使用的预留号源 ÷ 预留号源",
            fmt.count(total.reserved_slots_used),
            fmt.count(total.reserved_slots_offered),
        ),
    ]
    rows, categories, ups, downs = [], [], [], []
    for child, summary in _by_child(ctx, compute):
        rows.append(
            [
                child.name,
                summary.experts,
                summary.outpatients,
                summary.referrals_up,
                summary.referrals_down,
            ]
        )
        categories.append(child.name)
        ups.append(summary.referrals_up)
        downs.append(summary.referrals_down)
    return Section(
        "consortium",
        SECTION_TITLES["consortium"],
        values,
        figures,
        ["地区", "派出专家（人次）", "接诊门诊患者（人次）", "上转（人次）", "下转（人次）"],
        rows,
        Chart("双向转诊", categories, [("上转", ups), ("下转", downs)], "人次"),
    )


def settlements_section(ctx: Context) -> Section | None:
    def compute(region):
        return indicators.settlement_indicators(
            ctx.user, region=region, start=ctx.start, end=ctx.end
        )

    total = compute(ctx.region)
    inp, outp = total.inpatient, total.outpatient
    if not inp.person_times and not outp.person_times:
        return None
    values = {
        "outpatient_visits": fmt.count(outp.person_times),
        "outpatient_total_wan": fmt.wan(outp.sums.total),
        "outpatient_pooled_wan": fmt.wan(outp.sums.pooled),
        "outpatient_out_of_pocket_wan": fmt.wan(outp.sums.out_of_pocket),
        "inpatient_person_times": fmt.count(inp.person_times),
        "inpatient_total_wan": fmt.wan(inp.sums.total),
        "inpatient_out_of_pocket_wan": fmt.wan(inp.sums.out_of_pocket),
        "actual_reimbursement_ratio": fmt.percent(inp.actual_reimbursement_ratio),
        "per_capita_out_of_pocket": fmt.yuan(inp.per_capita_out_of_pocket),
        "out_of_pocket_ratio": fmt.percent(inp.out_of_pocket_ratio),
        "one_stop_rate": fmt.percent(total.one_stop_rate),
        "treat_first_pay_later_rate": fmt.percent(total.treat_first_pay_later_rate),
    }
    figures = [
        Figure(
            "outpatient_visits", "门诊就诊（人次）", values["outpatient_visits"], "期内门诊结算笔数"
        ),
        Figure(
            "outpatient_total_wan",
            "门诊总费用（万元）",
            values["outpatient_total_wan"],
            "门诊结算总费用之和",
            str(outp.sums.total),
        ),
        Figure(
            "inpatient_person_times",
            "住院（人次）",
            values["inpatient_person_times"],
            "期内出院的住院结算笔数",
        ),
        Figure(
            "inpatient_total_wan",
            "住院总费用（万元）",
            values["inpatient_total_wan"],
            "住院结算总费用之和",
            str(inp.sums.total),
        ),
        Figure(
            "actual_reimbursement_ratio",
            "实际报销比例",
            values["actual_reimbursement_ratio"],
            "（总费用 − 个人自付）÷ 总费用",
            str(inp.sums.total - inp.sums.out_of_pocket),
            str(inp.sums.total),
        ),
        Figure(
            "out_of_pocket_ratio",
            "自付比例",
            values["out_of_pocket_ratio"],
            "个人自付 ÷ 总费用",
            str(inp.sums.out_of_pocket),
            str(inp.sums.total),
        ),
        Figure(
            "per_capita_out_of_pocket",
            "人均自付（元）",
            values["per_capita_out_of_pocket"],
            "个人自付 ÷ 住院人次",
            str(inp.sums.out_of_pocket),
            fmt.count(inp.person_times),
        ),
        Figure(
            "one_stop_rate",
            "一站式结算率",
            values["one_stop_rate"],
            "一站式结算的住院 ÷ 住院人次",
            fmt.count(inp.sums.one_stop),
            fmt.count(inp.person_times),
        ),
    ]
    rows, categories, totals, pockets = [], [], [], []
    for child, figures_of in _by_child_grouped(ctx, indicators.settlement_indicators_by_area):
        ci = figures_of.inpatient
        co = figures_of.outpatient
        if not ci.person_times and not co.person_times:
            continue
        rows.append(
            [
                child.name,
                co.person_times,
                fmt.wan(co.sums.total),
                ci.person_times,
                fmt.wan(ci.sums.total),
                fmt.wan(ci.sums.out_of_pocket),
                fmt.percent(ci.actual_reimbursement_ratio),
            ]
        )
        categories.append(child.name)
        totals.append(float(fmt.wan(ci.sums.total)))
        pockets.append(float(fmt.wan(ci.sums.out_of_pocket)))
    return Section(
        "settlements",
        SECTION_TITLES["settlements"],
        values,
        figures,
        [
            "地区",
            "门诊（人次）",
            "门诊总费用（万元）",
            "住院（人次）",
            "住院总费用（万元）",
            "个人自付（万元）",
            "实际报销比例",
        ],
        rows,
        Chart(
            "住院费用和个人自付",
            categories,
            [("住院总费用", totals), ("个人自付", pockets)],
            "万元",
        ),
    )


def major_disease_section(ctx: Context) -> Section | None:
    def compute(region):
        return indicators.three_batches(ctx.user, region=region, start=ctx.start, end=ctx.end)

    total = compute(ctx.region)
    if not (total.major_disease_treated or total.chronic_under_contract or total.assisted):
        return None
    values = {
        "major_disease_treated": fmt.count(total.major_disease_treated),
        "chronic_under_contract": fmt.count(total.chronic_under_contract),
        "assisted": fmt.count(total.assisted),
    }
    figures = [
        Figure(
            "major_disease_treated",
            "大病集中救治（人）",
            values["major_disease_treated"],
            "大病登记中救治中、已救治或随访中的人数",
        ),
        Figure(
            "chronic_under_contract",
            "慢病签约服务管理（人）",
            values["chronic_under_contract"],
            "患慢病且期内有有效签约的人数",
        ),
        Figure("assisted", "重病兜底保障（人）", values["assisted"], "期内结算中有医疗救助的人数"),
    ]
    rows, categories, treated, chronic, assisted = [], [], [], [], []
    for child, batches in _by_child_grouped(ctx, indicators.three_batches_by_area):
        rows.append(
            [
                child.name,
                batches.major_disease_treated,
                batches.chronic_under_contract,
                batches.assisted,
            ]
        )
        categories.append(child.name)
        treated.append(batches.major_disease_treated)
        chronic.append(batches.chronic_under_contract)
        assisted.append(batches.assisted)
    return Section(
        "major_disease",
        SECTION_TITLES["major_disease"],
        values,
        figures,
        ["地区", "大病集中救治", "慢病签约服务管理", "重病兜底保障"],
        rows,
        Chart(
            "三个一批",
            categories,
            [("大病集中救治", treated), ("慢病签约", chronic), ("重病兜底", assisted)],
            "人",
        ),
    )


def rectification_section(ctx: Context) -> Section | None:
    """问题整改: the rectification items of the area (``rectification.selectors``), with a
    table by responsible unit; absent where the rectification app is not installed."""
    from django.apps import apps

    if not apps.is_installed("rectification"):
        return None
    from rectification.selectors import briefing_figures

    figures_of = briefing_figures(ctx.region, ctx.start, ctx.end)
    if not figures_of.total:
        return None
    values = {
        "items_total": fmt.count(figures_of.total),
        "found_in_period": fmt.count(figures_of.found_in_period),
        "open": fmt.count(figures_of.open),
        "in_progress": fmt.count(figures_of.in_progress),
        "awaiting_check": fmt.count(figures_of.awaiting_check),
        "closed": fmt.count(figures_of.closed),
        "closed_in_period": fmt.count(figures_of.closed_in_period),
        "overdue": fmt.count(figures_of.overdue),
        "close_rate": fmt.percent(figures_of.close_rate),
    }
    figures = [
        Figure("items_total", "累计问题（个）", values["items_total"], "期末及以前发现的问题"),
        Figure(
            "found_in_period", "本期新发现问题（个）", values["found_in_period"], "期内发现的问题"
        ),
        Figure(
            "close_rate",
            "整改销号率",
            values["close_rate"],
            "已销号问题 ÷ 累计问题（期末时点）",
            values["closed"],
            values["items_total"],
        ),
        Figure("overdue", "逾期未整改（个）", values["overdue"], "期末未销号且已过整改时限的问题"),
    ]
    rows = [
        [
            unit.unit_name,
            unit.total,
            unit.closed,
            fmt.percent(rate(unit.closed, unit.total)),
            unit.overdue,
        ]
        for unit in figures_of.by_unit
    ]
    return Section(
        "rectification",
        SECTION_TITLES["rectification"],
        values,
        figures,
        ["责任单位", "问题数", "已销号", "销号率", "逾期"],
        rows,
        Chart(
            "问题整改情况",
            [unit.unit_name for unit in figures_of.by_unit],
            [
                ("已销号", [unit.closed for unit in figures_of.by_unit]),
                ("逾期", [unit.overdue for unit in figures_of.by_unit]),
            ],
            "个",
        ),
    )


BUILDERS: list[Callable[[Context], Section | None]] = [
    contracts_section,
    screening_section,
    five_ones_section,
    free_clinics_section,
    consortium_section,
    settlements_section,
    major_disease_section,
    rectification_section,
]


def build_sections(
    user,
    region: Region,
    start: datetime.date,
    end: datetime.date,
    *,
    texts: dict[str, str] | None = None,
    today: datetime.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Section]:
    """The sections with data for ``region`` and [start, end], their paragraphs written from
    ``texts`` (the publisher's templates; the defaults for the rest)."""
    ctx = Context(user, region, start, end, min(today or end, end), child_regions(region))
    common = {
        "area": fmt.area_word(region.level),
        "period": fmt.period_words(start, end),
        "publisher": region.name,
    }
    texts = {**DEFAULT_TEXTS, **(texts or {})}
    sections = []
    for i, builder in enumerate(BUILDERS):
        section = builder(ctx)
        if section is not None:
            section.placeholders = {**common, **section.placeholders}
            section.narrative = fill(texts[section.key], section.placeholders)
            sections.append(section)
        if progress:
            progress(i + 1, len(BUILDERS))
    return sections
