"""Demo rectification items (问题整改): what a county's problem list looks like after two years.

元谋县's bureau writes that it supervised its township health centres and village clinics
twice a half-year (staffing, departments, equipment, archives) and worked through the
patrol's list of health poverty-alleviation problems (seed 002). The demo gives each county
in the scale that: findings of the supervision rounds at township centres and village clinics,
the patrol's and the audit's findings at the county's own units, and unannounced visits, over
the last two years, each with measures and a deadline. Most past ones are closed (销号) by the
county's staff; some are overdue, as the daily task would have flagged them; recent ones are
open, in progress or done and awaiting the county's check.

Deterministic (a seeded random stream a county, dates relative to today), idempotent (a county
that has items already gets none), one audit row an item as its service writes (created by the
county's demo user), in bulk.
"""

from __future__ import annotations

import datetime
import random
import time

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from healthaid import audit
from healthaid.choices import AuditAction, RegionLevel
from healthaid.models import Region
from rectification.choices import ItemStatus, Source
from rectification.models import RectificationItem

YUANMOU = "532328"

# (finding, measures) at a township health centre (乡镇卫生院).
TOWNSHIP_FINDINGS = [
    (
        "全科医学科未单独设置，科室设置不规范",
        "按乡镇卫生院科室设置标准单独设置全科医学科，明确科室负责人，挂牌服务",
    ),
    (
        "“先诊疗后付费”和“一站式”结算政策公示不到位，结算窗口无明显标识",
        "在门诊大厅、住院部醒目位置公示政策，设置“一站式”结算窗口标识",
    ),
    (
        "部分建档立卡贫困患者住院费用中目录外费用占比超过10%",
        "严格执行目录内用药，逐例核查超比例病例，目录外费用由医院承担",
    ),
    (
        "家庭医生签约服务档案归档不完整，部分签约协议书缺少签约居民签字",
        "逐户补充完善签约协议，建立签约档案专柜，指定专人管理",
    ),
    (
        "大病专项救治病例信息未及时录入系统，录入滞后一个月以上",
        "明确专人每周录入救治信息，卫生院分管领导每月核对",
    ),
    (
        "慢病患者随访记录与实际服务时间不符，存在集中补记现象",
        "开展随访记录专项清理，对补记责任人约谈，随访情况纳入绩效考核",
    ),
    (
        "重点人群健康体检完成率未达到年度目标要求",
        "制定体检进度表，组织流动体检队进村开展体检，每周通报进度",
    ),
    (
        "转诊转院登记不规范，部分患者未办理转诊手续",
        "规范转诊审批流程，建立转诊登记台账，对医务人员开展培训",
    ),
]

# (finding, measures) at a village clinic (村卫生室).
VILLAGE_FINDINGS = [
    (
        "村卫生室仅有1名乡村医生，人员配置未达到要求",
        "由乡镇卫生院派驻医生轮流驻村，同时招聘补充乡村医生1名",
    ),
    (
        "基本设备配置不全，缺少血糖仪和身高体重计",
        "由乡镇卫生院调配血糖仪、身高体重计各1台，建立设备台账",
    ),
    (
        "药品台账不全，发现过期药品未及时清理",
        "清理过期药品并登记销毁，建立药品进销存台账，乡镇卫生院每月检查",
    ),
    (
        "健康扶贫政策宣传资料未入户，群众政策知晓率低",
        "组织乡村医生逐户发放宣传资料并讲解政策，开展知晓率回访",
    ),
    (
        "诊断室、治疗室、药房未分开设置",
        "调整业务用房布局，做到诊断室、治疗室、药房三室分开",
    ),
    (
        "签约服务资料归档零乱，随访记录与档案不对应",
        "按户整理签约和随访资料，与健康档案逐一核对",
    ),
]

# (finding, measures, unit) at the county's own units; ``{county}`` is the county's name.
PATROL_FINDINGS = [
    (
        "健康扶贫“四重保障”政策落实不到位，个别贫困患者住院实际报销比例未达到90%",
        "逐例排查未达标病例，启动兜底保障补偿，完善“一站式”结算系统比例控制",
        "{county}卫生健康局",
    ),
    (
        "家庭医生签约服务“签而不约”，重点人群履约率偏低",
        "制定履约服务清单，按月考核签约团队履约率，与绩效挂钩",
        "{county}卫生健康局",
    ),
    (
        "县域内就诊率偏低，县外转诊审核把关不严",
        "加强县级医院能力建设，规范县外转诊审批，每月通报转诊情况",
        "{county}人民医院",
    ),
    (
        "部分乡镇大病专项救治进度滞后",
        "建立救治进度周报制度，对进度滞后乡镇挂牌督办",
        "{county}卫生健康局",
    ),
]

AUDIT_FINDINGS = [
    (
        "医疗救助资金拨付不及时，存在资金滞留",
        "清理滞留资金并于一个月内拨付到位，建立资金拨付台账",
        "{county}医疗保障局",
    ),
    (
        "部分结算单据中个人自付金额计算有误",
        "逐笔复核结算单据，多收部分退还患者，修正结算系统参数",
        "{county}人民医院",
    ),
    (
        "县外住院费用报销审核把关不严，个别票据不合规",
        "完善报销审核流程，实行初审、复审两级审核",
        "{county}医疗保障局",
    ),
]

UNANNOUNCED_FINDINGS = [
    (
        "工作时间村卫生室无人值守",
        "建立乡村医生值班制度，公示值班电话，乡镇卫生院不定期抽查",
    ),
    (
        "乡村医生对签约服务包内容不熟悉，不能准确介绍服务内容",
        "组织乡村医生签约服务专题培训并考试",
    ),
    (
        "随访记录中的血压数值与现场复测不符",
        "对该村随访记录全面复核，对责任医生通报批评",
    ),
]

DAYS_BACK = 730  # two years of findings
ROUND_DAYS = 91  # a supervision round a quarter (twice a half-year, with the unannounced)


def clinic_name(village: Region) -> str:
    """A village's clinic: 西山尾村委会 → 西山尾村卫生室."""
    return f"{village.name.removesuffix('委会')}卫生室"


def _counties(scale: str, villages: list[Region]) -> list[str]:
    if scale != "prefecture":
        return [YUANMOU]
    return sorted({v.code[:6] for v in villages})


def _status(
    rng: random.Random, found: datetime.date, deadline: datetime.date, today: datetime.date
) -> tuple[str, datetime.date | None]:
    """Where an item stands today, and the day it was closed when it is."""
    if deadline < today:
        # The longer past its deadline, the likelier closed: a few old ones are still open.
        closed = 0.97 if (today - deadline).days > 180 else 0.6
        draw = rng.random()
        if draw < closed:
            last = min(today - datetime.timedelta(days=1), deadline + datetime.timedelta(days=15))
            span = max(0, (last - found).days - 7)
            return ItemStatus.CLOSED, found + datetime.timedelta(days=7 + rng.randint(0, span))
        if draw < (1 + closed) / 2:
            return ItemStatus.AWAITING_CHECK, None
        return ItemStatus.OVERDUE, None
    draw = rng.random()
    if draw < 0.30:
        return ItemStatus.OPEN, None
    if draw < 0.78:
        return ItemStatus.IN_PROGRESS, None
    return ItemStatus.AWAITING_CHECK, None


def county_items(
    county: Region,
    townships: list[Region],
    villages: dict[str, list[Region]],
    today: datetime.date,
    *,
    per_round: int,
) -> list[dict]:
    """The county's items as field values, oldest first (``per_round``: village clinics
    visited a supervision round)."""
    rng = random.Random(f"rectification-{county.code}")
    name = county.name
    items: list[dict] = []

    def add(source, found, finding, measures, unit, region, days):
        found = max(found, today - datetime.timedelta(days=DAYS_BACK))
        deadline = found + datetime.timedelta(days=days)
        status, closed_on = _status(rng, found, deadline, today)
        items.append(
            {
                "source": source,
                "found_on": found,
                "finding": finding,
                "measures": measures,
                "responsible_unit": unit,
                "region": region,
                "deadline": deadline,
                "status": status,
                "closed_on": closed_on,
            }
        )

    # Rounds a quarter apart, the latest a week or three ago.
    latest = today - datetime.timedelta(days=rng.randint(7, 21))
    for rounds_ago in range(DAYS_BACK // ROUND_DAYS, -1, -1):
        day = latest - datetime.timedelta(days=rounds_ago * ROUND_DAYS)
        # A supervision round: every township centre, and some village clinics of each.
        for township in townships:
            found = day + datetime.timedelta(days=rng.randint(0, 6))
            if found >= today:
                continue
            for finding, measures in rng.sample(TOWNSHIP_FINDINGS, rng.randint(1, 2)):
                add(
                    Source.SUPERVISION,
                    found,
                    finding,
                    measures,
                    f"{township.name}卫生院",
                    township,
                    rng.choice((30, 45, 60)),
                )
            ours = villages.get(township.code[:9], [])
            for village in rng.sample(ours, min(len(ours), per_round)):
                finding, measures = rng.choice(VILLAGE_FINDINGS)
                add(
                    Source.SUPERVISION,
                    found,
                    finding,
                    measures,
                    clinic_name(village),
                    township,
                    rng.choice((15, 30, 45)),
                )
        # Unannounced visits between rounds.
        for _ in range(max(1, len(townships) // 3)):
            township = rng.choice(townships)
            ours = villages.get(township.code[:9], [])
            found = day + datetime.timedelta(days=rng.randint(30, 60))
            if not ours or found >= today:
                continue
            finding, measures = rng.choice(UNANNOUNCED_FINDINGS)
            village = rng.choice(ours)
            add(
                Source.UNANNOUNCED,
                found,
                finding,
                measures,
                clinic_name(village),
                township,
                15,
            )
    # The patrol's problem list and the audit's findings, once a year, at the county's units.
    for years_ago in (1, 0):
        for source, findings, days in (
            (Source.PATROL, PATROL_FINDINGS, 90),
            (Source.AUDIT, AUDIT_FINDINGS, 60),
        ):
            found = today - datetime.timedelta(days=365 * years_ago + rng.randint(20, 200))
            for finding, measures, unit in findings:
                add(source, found, finding, measures, unit.format(county=name), county, days)
    items.sort(key=lambda item: (item["found_on"], item["responsible_unit"]))
    return items


def seed(scale: str, context: dict) -> str:
    started = time.monotonic()
    today = timezone.localdate()
    villages = [v for v in context.get("villages", []) if v.level == RegionLevel.VILLAGE]
    by = get_user_model().objects.filter(username="county").first()
    per_round = 2 if scale == "small" else 6
    created = 0
    with transaction.atomic():
        for code in _counties(scale, villages):
            county = Region.objects.filter(code=f"{code}000000").first()
            if county is None:
                continue
            if RectificationItem.objects.filter(region__code__startswith=code).exists():
                continue
            townships = list(
                Region.objects.filter(level=RegionLevel.TOWNSHIP, code__startswith=code).order_by(
                    "code"
                )
            )
            by_township: dict[str, list[Region]] = {}
            for village in sorted(villages, key=lambda v: v.code):
                if village.code.startswith(code):
                    by_township.setdefault(village.code[:9], []).append(village)
            if not townships:
                continue
            rows = county_items(county, townships, by_township, today, per_round=per_round)
            items = RectificationItem.objects.bulk_create(
                [
                    RectificationItem(
                        created_by=by,
                        closed_by=by if row["status"] == ItemStatus.CLOSED else None,
                        **row,
                    )
                    for row in rows
                ],
                batch_size=1000,
            )
            audit.record_many(
                audit.build(
                    action=AuditAction.CREATE,
                    by=by,
                    instance=item,
                    after=audit.snapshot(item),
                )
                for item in items
            )
            created += len(items)
    if not created:
        return "rectification already seeded; nothing added"
    return f"{created} rectification items in {time.monotonic() - started:.1f}s"
