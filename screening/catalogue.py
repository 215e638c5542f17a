"""Reference data shipped with the code: screening thresholds, health prescriptions and the
items of the five-ones (五个一) and eight-ones (八个一) campaigns.

``screening.services.screening_catalogue_sync`` adds what is missing (``migrate`` runs it,
so does ``seed_demo``); rows already there are county staff's to edit and are left alone.
The prescriptions are written for villagers: short sentences, no jargon beyond the names.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from screening.choices import Comparison, ItemSource


@dataclass(frozen=True)
class ItemSpec:
    code: str
    name: str
    unit: str
    comparison: str
    threshold: Decimal
    disease: str | None
    builtin: bool


GTE, LT = Comparison.AT_OR_ABOVE, Comparison.BELOW

# National defaults: BP ≥ 140/90 mmHg, fasting glucose ≥ 7.0 mmol/L, random ≥ 11.1 mmol/L
# (a diabetes diagnosis threshold), BMI ≥ 28 obese (Chinese adult standard).
SCREENING_ITEMS: tuple[ItemSpec, ...] = (
    ItemSpec("systolic", "收缩压", "mmHg", GTE, Decimal("140"), "hypertension", True),
    ItemSpec("diastolic", "舒张压", "mmHg", GTE, Decimal("90"), "hypertension", True),
    ItemSpec("fasting_glucose", "空腹血糖", "mmol/L", GTE, Decimal("7.0"), "t2dm", True),
    ItemSpec("random_glucose", "随机血糖", "mmol/L", GTE, Decimal("11.1"), "t2dm", True),
    ItemSpec("bmi", "体重指数", "kg/m²", GTE, Decimal("28.0"), None, True),
    ItemSpec("waist", "腰围", "cm", GTE, Decimal("90.0"), None, True),
    ItemSpec("total_cholesterol", "总胆固醇", "mmol/L", GTE, Decimal("6.2"), None, False),
    ItemSpec("haemoglobin", "血红蛋白", "g/L", LT, Decimal("110"), None, False),
)

BUILTIN_FIELDS = tuple(spec.code for spec in SCREENING_ITEMS if spec.builtin)


@dataclass(frozen=True)
class PrescriptionSpec:
    disease: str
    title: str
    cause: str
    diagnosis: str
    western_treatment: str
    tcm_treatment: str
    lifestyle: str
    see_doctor: str


# fmt: off
PRESCRIPTIONS: tuple[PrescriptionSpec, ...] = (
    PrescriptionSpec(
        "hypertension", "高血压健康处方",
        "遗传、吃盐过多、超重和肥胖、长期饮酒、吸烟、精神紧张、缺少运动、年龄增长。",
        "未用降压药时，非同日三次测量诊室血压，收缩压≥140mmHg和（或）舒张压≥90mmHg。",
        "在医生指导下长期规律服用降压药，首选长效药物，不随意停药或换药；目标血压低于140/90mmHg，"
        "合并糖尿病、肾病者遵医嘱更低。",
        "辨证施治，肝阳上亢者平肝潜阳，痰湿内阻者化痰祛湿；可配合穴位按摩、太极拳等。",
        "每人每天吃盐不超过5克；少吃咸菜、腊肉；多吃新鲜蔬菜水果；戒烟限酒；每周运动5次、每次30分钟；"
        "控制体重；保持心情舒畅；每月至少测一次血压。",
        "血压超过180/110mmHg，或出现剧烈头痛、胸痛、呕吐、说话不清、一侧肢体无力时，立即就医或拨打120。",
    ),
    PrescriptionSpec(
        "t2dm", "2型糖尿病健康处方",
        "遗传、超重肥胖、吃得多动得少、年龄增长、长期精神紧张。",
        "有多饮、多尿、多食、消瘦症状，且空腹血糖≥7.0mmol/L，或随机血糖≥11.1mmol/L，或糖负荷后2小时"
        "血糖≥11.1mmol/L；无症状者需改日复查确认。",
        "饮食控制和运动是基础；遵医嘱服用二甲双胍等降糖药或注射胰岛素；定期测血糖、糖化血红蛋白，"
        "每年查眼底、肾功能和足部。",
        "辨证施治，气阴两虚者益气养阴；可配合八段锦等传统运动。",
        "定时定量吃饭，主食粗细搭配，少吃甜食和油炸食品；饭后散步；戒烟限酒；注意保护双脚，"
        "每天检查有无破损。",
        "出现心慌、出冷汗、手抖（低血糖），或血糖持续高于16.7mmol/L、呕吐、呼吸有烂苹果味时，立即就医。",
    ),
    PrescriptionSpec(
        "copd", "慢性阻塞性肺疾病健康处方",
        "长期吸烟（含被动吸烟）、烧柴草做饭取暖的烟雾、粉尘、反复呼吸道感染。",
        "长期咳嗽、咳痰、活动后气短，肺功能检查吸入支气管舒张剂后FEV1/FVC<70%。",
        "遵医嘱长期规律吸入支气管舒张剂；急性加重时及时抗感染治疗；必要时家庭氧疗；"
        "每年接种流感疫苗。",
        "辨证施治，肺脾气虚者补肺健脾；可练习呼吸操、缩唇呼吸。",
        "坚决戒烟；改用清洁能源或改灶通风；冬春季注意保暖，预防感冒；适量步行锻炼；吃饭营养均衡。",
        "气短明显加重、痰变黄变多、发烧、嘴唇发紫或神志不清时，立即就医。",
    ),
    PrescriptionSpec(
        "chd", "冠心病健康处方",
        "高血压、血脂异常、糖尿病、吸烟、肥胖、缺少运动、年龄增长和家族史。",
        "活动或情绪激动时胸骨后压榨样疼痛，休息或含服硝酸甘油后缓解；心电图、冠脉CT或造影可确诊。",
        "遵医嘱长期服用阿司匹林、他汀类等药物；控制血压、血糖、血脂；随身携带硝酸甘油。",
        "辨证施治，气虚血瘀者益气活血；可在医生指导下服用活血化瘀中成药。",
        "少吃肥肉、动物内脏；清淡少盐；戒烟限酒；适度活动，避免饱餐后和寒冷中剧烈运动；保持大便通畅。",
        "胸痛持续超过15分钟不缓解、伴大汗、气短或晕厥时，立即拨打120，不要自行走路去医院。",
    ),
    PrescriptionSpec(
        "cerebrovascular", "脑卒中健康处方",
        "高血压、糖尿病、血脂异常、心房颤动、吸烟、饮酒、肥胖、缺少运动。",
        "突然一侧面部或肢体麻木无力、口角歪斜、说话不清、看不清、剧烈头痛，头颅CT或磁共振确诊。",
        "发病后尽快送有条件的医院救治；之后遵医嘱长期服用抗血小板、降压、降脂药物，早期康复训练。",
        "辨证施治，恢复期可配合针灸、推拿促进肢体功能恢复。",
        "控制血压是关键；少盐少油；戒烟限酒；坚持康复锻炼；家人协助预防跌倒和压疮。",
        "记住“中风120”：脸歪、手臂无力、说话不清，立即拨打120，记下发病时间。",
    ),
    PrescriptionSpec(
        "tb", "肺结核健康处方",
        "结核杆菌经咳嗽、打喷嚏的飞沫传播；营养不良、糖尿病、免疫力低者容易发病。",
        "咳嗽、咳痰两周以上或痰中带血，伴低热、盗汗、消瘦；痰检和胸片确诊。",
        "在定点医院免费规范治疗，全程坚持服药6个月以上，不漏服、不自行停药；定期复查痰和胸片。",
        "可在抗结核治疗基础上配合滋阴润肺的中药调理，不能替代抗结核药。",
        "咳嗽、打喷嚏时遮掩口鼻，不随地吐痰；房间勤通风；加强营养；戒烟戒酒；家人做筛查。",
        "咯血、高热不退、服药后出现皮肤发黄、皮疹、视物模糊等不良反应时，立即就医。",
    ),
    PrescriptionSpec(
        "smi", "严重精神障碍健康处方",
        "遗传、脑部发育和生化改变、重大生活事件和长期精神压力。",
        "由精神科医生根据症状和病程诊断，如精神分裂症、双相情感障碍等。",
        "坚持遵医嘱长期服药，不自行减药停药；定期随访复诊；符合条件的享受免费服药政策。",
        "可配合中医心理调适和针灸辅助治疗。",
        "家人给予理解和照料，督促按时服药；规律作息；参加力所能及的劳动；远离酒精。",
        "出现自言自语增多、不眠、冲动伤人或自伤念头时，立即联系村医、家庭医生或拨打110、120。",
    ),
    PrescriptionSpec(
        "oa", "骨关节炎健康处方",
        "年龄增长、肥胖、关节外伤、长期重体力劳动和关节过度使用。",
        "膝、髋等关节疼痛、晨僵、活动时摩擦感，X线片显示关节间隙变窄、骨赘形成。",
        "遵医嘱外用或口服止痛药，不长期自行服用止痛药；严重者到医院评估手术。",
        "可用中药熏洗、针灸、推拿、艾灸缓解疼痛。",
        "控制体重；少爬山、少爬楼梯、少蹲跪；适当游泳、骑车等不负重锻炼；关节注意保暖。",
        "关节红肿发热、突然不能行走或疼痛影响睡眠时，及时就医。",
    ),
)
# fmt: on

# The items of seed 000 (绛县 五个一 plan), in its order, and where each is found.
FIVE_ONES: tuple[tuple[str, str], ...] = (
    ("赠送一套健康手册", ItemSource.MANUAL),
    ("开展一次疾病筛查", ItemSource.SCREENING),
    ("出具一份健康处方", ItemSource.PRESCRIPTION),
    ("签订一项服务协议", ItemSource.CONTRACT),
    ("留下一个亲情号码", ItemSource.CONTACTS),
)

# 八个一 (seed 004, 自贡): the five, a check-up, and three the teams mark.
EIGHT_ONES: tuple[tuple[str, str], ...] = (
    *FIVE_ONES,
    ("开展一次健康体检", ItemSource.CHECKUP),
    ("建立一份健康档案", ItemSource.MANUAL),
    ("开展一次政策宣讲", ItemSource.MANUAL),
)
