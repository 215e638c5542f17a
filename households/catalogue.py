"""The disease catalogue of the health poverty-alleviation programme (健康扶贫), as plain data.

Why data and not a table: the categories and follow-up frequencies are fixed by national and
provincial policy, every county uses the same list, and the importer must match the free text
that rosters carry (``患病情况`` = "高血压、Ⅱ型糖尿病") without a database round trip.  Keeping
it in code also lets migrations seed a model from it and lets tests pin it.

Categories:

* ``key4`` – the four diseases of the basic public-health service that are followed up four
  times a year (高血压, 2型糖尿病, 肺结核, 严重精神障碍).
* ``annual`` – chronic diseases followed up once a year under family-doctor contracts.
* ``special_outpatient`` – the 29 outpatient special chronic diseases (门诊特殊慢性病) whose
  outpatient costs are reimbursed like inpatient ones.
* ``major`` – the national major-disease special treatment list (大病专项救治), minus the
  entries already present in another category (重性精神病, 耐多药结核病, 艾滋病机会感染, 血友病).
* ``other`` – a few common conditions rosters mention, so they are recognised instead of being
  reported as unknown.  Disability (残疾) is not a disease and is deliberately absent.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from healthaid.importing.normalize import to_halfwidth

__all__ = [
    "ANNUAL",
    "ANNUAL_FOLLOW_UP_CODES",
    "CATEGORIES",
    "DISEASES",
    "DISEASES_BY_CODE",
    "FOLLOW_UPS_BY_CODE",
    "KEY4",
    "KEY_FOLLOW_UP_CODES",
    "MAJOR",
    "MAJOR_DISEASE_CODES",
    "NO_DISEASE_WORDS",
    "OTHER",
    "QUARTERLY_FOLLOW_UP_CODES",
    "SPECIAL_OUTPATIENT",
    "SPECIAL_OUTPATIENT_CODES",
    "DiseaseSpec",
    "match_disease",
    "normalize_disease_text",
    "split_diseases",
    "to_halfwidth",
]

KEY4 = "key4"
ANNUAL = "annual"
SPECIAL_OUTPATIENT = "special_outpatient"
MAJOR = "major"
OTHER = "other"
CATEGORIES: tuple[str, ...] = (KEY4, ANNUAL, SPECIAL_OUTPATIENT, MAJOR, OTHER)


@dataclass(frozen=True, slots=True)
class DiseaseSpec:
    """One catalogue entry.

    ``synonyms`` are the spellings rosters use besides ``name``; the name itself always matches,
    so it need not be repeated there.
    """

    code: str
    name: str
    category: str
    follow_ups_per_year: int
    synonyms: tuple[str, ...] = ()


def _d(code: str, name: str, category: str, per_year: int, *synonyms: str) -> DiseaseSpec:
    return DiseaseSpec(code, name, category, per_year, tuple(synonyms))


# Follow-ups per year by category. By rule only the key4 (4 a year) and annual (1 a year) diseases
# are scheduled; special outpatient, major and "other" conditions are recognised but followed up
# as needed, not on a schedule.
_K, _A, _S, _M, _O = 4, 1, 0, 0, 0

# fmt: off
DISEASES: tuple[DiseaseSpec, ...] = (
    # --- key4: four follow-ups a year -----------------------------------------------------------
    _d("hypertension", "高血压", KEY4, _K,
       "高血压病", "原发性高血压", "高血压症", "血压高", "高血压性心脏病", "高血压心脏病"),
    _d("t2dm", "2型糖尿病", KEY4, _K,
       "糖尿病", "Ⅱ型糖尿病", "II型糖尿病", "二型糖尿病", "糖尿病2型", "糖尿病Ⅱ型",
       "糖尿病II型", "T2DM"),
    _d("tb", "肺结核", KEY4, _K,
       "结核病", "结核", "肺结核病", "肺痨", "继发性肺结核", "浸润型肺结核", "活动性肺结核"),
    _d("smi", "严重精神障碍", KEY4, _K,
       "精神病", "重性精神病", "重症精神病", "严重精神疾病", "重性精神疾病", "精神疾病",
       "精神障碍", "分裂情感性障碍", "偏执性精神病", "癫痫所致精神障碍",
       "精神发育迟滞伴发精神障碍"),
    # --- annual: one follow-up a year -----------------------------------------------------------
    _d("cerebrovascular", "脑血管疾病", ANNUAL, _A,
       "脑血管病", "脑梗", "脑梗死", "脑梗塞", "脑卒中", "卒中", "中风", "脑中风", "脑出血",
       "脑溢血", "脑血栓", "脑梗后遗症", "脑梗死后遗症", "脑卒中后遗症", "中风后遗症",
       "脑出血后遗症", "脑溢血后遗症", "脑血栓后遗症"),
    _d("chd", "冠心病", ANNUAL, _A,
       "冠状动脉粥样硬化性心脏病", "冠状动脉性心脏病", "冠状动脉硬化性心脏病", "心绞痛",
       "心肌梗死", "心肌梗塞", "心梗", "陈旧性心肌梗死"),
    _d("copd", "慢性阻塞性肺疾病", ANNUAL, _A,
       "慢阻肺", "COPD", "慢性阻塞性肺病", "慢性阻塞性肺气肿", "肺气肿"),
    _d("chronic_bronchitis", "慢性支气管炎", ANNUAL, _A, "慢支", "支气管炎", "慢性气管炎"),
    _d("ra", "类风湿性关节炎", ANNUAL, _A, "类风湿关节炎", "类风湿", "类风湿病"),
    _d("oa", "骨关节炎", ANNUAL, _A,
       "骨性关节炎", "骨关节病", "退行性关节炎", "退行性骨关节病", "膝骨关节炎",
       "膝关节骨性关节炎", "关节炎"),
    # --- special_outpatient: the 29 门诊特殊慢性病 ------------------------------------------------
    _d("cancer_outpatient", "恶性肿瘤门诊治疗", SPECIAL_OUTPATIENT, _S,
       "恶性肿瘤", "癌症", "恶性肿瘤放化疗", "恶性肿瘤门诊放化疗", "恶性肿瘤放疗", "恶性肿瘤化疗"),
    _d("crf_dialysis", "慢性肾功能衰竭(透析)", SPECIAL_OUTPATIENT, _S,
       "慢性肾功能衰竭", "慢性肾衰竭", "肾功能衰竭", "肾衰竭", "肾衰", "慢性肾功能不全",
       "肾功能不全", "透析", "血液透析", "腹膜透析", "慢性肾功能衰竭透析"),
    _d("transplant", "器官移植术后抗排异治疗", SPECIAL_OUTPATIENT, _S,
       "器官移植术后", "器官移植", "器官移植抗排异治疗", "抗排异治疗", "肾移植术后",
       "肝移植术后"),
    _d("aplastic_anemia", "再生障碍性贫血", SPECIAL_OUTPATIENT, _S, "再障", "再生障碍贫血"),
    _d("hemophilia", "血友病", SPECIAL_OUTPATIENT, _S),
    _d("sle", "系统性红斑狼疮", SPECIAL_OUTPATIENT, _S, "红斑狼疮", "狼疮", "SLE"),
    _d("parkinson", "帕金森病", SPECIAL_OUTPATIENT, _S,
       "帕金森", "帕金森综合征", "帕金森氏病", "震颤麻痹"),
    _d("epilepsy", "癫痫", SPECIAL_OUTPATIENT, _S, "癫痫病", "羊癫疯", "羊角风"),
    _d("chf", "慢性心力衰竭", SPECIAL_OUTPATIENT, _S,
       "心力衰竭", "心衰", "慢性心衰", "心功能不全", "慢性心功能不全"),
    _d("cirrhosis", "肝硬化", SPECIAL_OUTPATIENT, _S, "肝硬变", "失代偿期肝硬化"),
    _d("viral_hepatitis", "慢性病毒性肝炎", SPECIAL_OUTPATIENT, _S,
       "病毒性肝炎", "慢性乙型肝炎", "慢性乙型病毒性肝炎", "乙型肝炎", "乙型病毒性肝炎", "乙肝",
       "慢性乙肝", "丙型肝炎", "丙型病毒性肝炎", "慢性丙型肝炎", "丙肝", "肝炎"),
    _d("hyperthyroidism", "甲状腺功能亢进", SPECIAL_OUTPATIENT, _S, "甲状腺功能亢进症", "甲亢"),
    _d("hypothyroidism", "甲状腺功能减退", SPECIAL_OUTPATIENT, _S,
       "甲状腺功能减退症", "甲减", "甲低"),
    _d("myasthenia_gravis", "重症肌无力", SPECIAL_OUTPATIENT, _S),
    _d("ankylosing_spondylitis", "强直性脊柱炎", SPECIAL_OUTPATIENT, _S, "强脊"),
    _d("onfh", "股骨头坏死", SPECIAL_OUTPATIENT, _S, "股骨头缺血性坏死", "股骨头无菌性坏死"),
    _d("mdr_tb", "耐多药肺结核", SPECIAL_OUTPATIENT, _S,
       "耐多药结核病", "耐多药结核", "耐药肺结核", "耐药结核病", "耐药结核"),
    _d("hiv_oi", "艾滋病机会性感染", SPECIAL_OUTPATIENT, _S,
       "艾滋病机会感染", "艾滋病", "HIV感染", "艾滋病病毒感染", "HIV", "AIDS"),
    # Schizophrenia and bipolar disorder are also 严重精神障碍 patients, managed four times a year.
    _d("schizophrenia", "精神分裂症", SPECIAL_OUTPATIENT, _K, "精神分裂", "分裂症"),
    _d("bipolar", "双相情感障碍", SPECIAL_OUTPATIENT, _K, "双相障碍", "双相情感性障碍", "躁郁症"),
    _d("alzheimer", "阿尔茨海默病", SPECIAL_OUTPATIENT, _S,
       "阿尔茨海默症", "老年痴呆", "老年痴呆症", "老年性痴呆", "痴呆"),
    _d("rhd", "风湿性心脏病", SPECIAL_OUTPATIENT, _S, "风心病", "风湿性心脏瓣膜病"),
    _d("cor_pulmonale", "肺源性心脏病", SPECIAL_OUTPATIENT, _S,
       "肺心病", "慢性肺源性心脏病", "慢性肺心病"),
    _d("asthma", "支气管哮喘", SPECIAL_OUTPATIENT, _S, "哮喘"),
    _d("leukemia", "白血病", SPECIAL_OUTPATIENT, _S,
       "急性白血病", "慢性白血病", "慢性粒细胞白血病", "急性髓系白血病", "急性淋巴细胞白血病"),
    _d("multiple_sclerosis", "多发性硬化", SPECIAL_OUTPATIENT, _S),
    _d("nephrotic_syndrome", "肾病综合征", SPECIAL_OUTPATIENT, _S),
    _d("chronic_gn", "慢性肾小球肾炎", SPECIAL_OUTPATIENT, _S, "肾小球肾炎", "慢性肾炎", "肾炎"),
    _d("pku", "儿童苯丙酮尿症", SPECIAL_OUTPATIENT, _S, "苯丙酮尿症", "PKU"),
    # --- major: 大病专项救治 ------------------------------------------------------------------------
    _d("child_leukemia", "儿童白血病", MAJOR, _M, "儿童急性淋巴细胞白血病", "儿童急性髓系白血病"),
    _d("child_chd", "儿童先天性心脏病", MAJOR, _M, "先天性心脏病", "先心病", "先天性心脏病儿童"),
    _d("child_cancer", "儿童恶性肿瘤", MAJOR, _M,
       "儿童癌症", "儿童肿瘤", "儿童实体肿瘤", "肾母细胞瘤", "视网膜母细胞瘤", "肝母细胞瘤"),
    _d("neuroblastoma", "神经母细胞瘤", MAJOR, _M),
    _d("child_lymphoma", "儿童淋巴瘤", MAJOR, _M),
    _d("osteosarcoma", "骨肉瘤", MAJOR, _M),
    _d("esophageal_cancer", "食管癌", MAJOR, _M, "食道癌"),
    _d("gastric_cancer", "胃癌", MAJOR, _M),
    _d("colon_cancer", "结肠癌", MAJOR, _M),
    _d("rectal_cancer", "直肠癌", MAJOR, _M),
    _d("lung_cancer", "肺癌", MAJOR, _M),
    _d("liver_cancer", "肝癌", MAJOR, _M, "原发性肝癌"),
    _d("breast_cancer", "乳腺癌", MAJOR, _M),
    _d("cervical_cancer", "宫颈癌", MAJOR, _M, "子宫颈癌"),
    _d("bladder_cancer", "膀胱癌", MAJOR, _M),
    _d("ovarian_cancer", "卵巢癌", MAJOR, _M),
    _d("kidney_cancer", "肾癌", MAJOR, _M),
    _d("esrd", "终末期肾病", MAJOR, _M, "尿毒症", "终末期肾脏病"),
    _d("acute_mi", "急性心肌梗死", MAJOR, _M, "急性心肌梗塞", "急性心梗"),
    _d("acute_cerebral_infarction", "急性脑梗死", MAJOR, _M, "急性脑梗塞", "急性脑梗"),
    _d("cataract", "白内障", MAJOR, _M),
    _d("pneumoconiosis", "尘肺病", MAJOR, _M, "尘肺", "矽肺", "硅肺"),
    _d("thalassemia", "地中海贫血", MAJOR, _M, "地贫"),
    _d("cleft_lip_palate", "唇腭裂", MAJOR, _M, "唇裂", "腭裂", "兔唇"),
    _d("hypospadias", "尿道下裂", MAJOR, _M),
    # --- other: recognised, not scheduled ------------------------------------------------------
    _d("t1dm", "1型糖尿病", OTHER, _O, "Ⅰ型糖尿病", "I型糖尿病", "一型糖尿病"),
    _d("dyslipidemia", "高脂血症", OTHER, _O, "血脂异常", "高血脂", "高脂血"),
    _d("chronic_gastritis", "慢性胃炎", OTHER, _O, "胃炎", "慢性浅表性胃炎", "萎缩性胃炎"),
    _d("peptic_ulcer", "消化性溃疡", OTHER, _O, "胃溃疡", "十二指肠溃疡"),
    _d("lumbar_disc", "腰椎间盘突出症", OTHER, _O, "腰椎间盘突出", "腰突症"),
    _d("cervical_spondylosis", "颈椎病", OTHER, _O),
    _d("gout", "痛风", OTHER, _O, "痛风性关节炎"),
    _d("anemia", "贫血", OTHER, _O, "缺铁性贫血"),
    _d("bph", "前列腺增生", OTHER, _O, "前列腺肥大", "良性前列腺增生"),
    _d("gallstones", "胆囊结石", OTHER, _O, "胆结石", "胆囊炎", "胆囊炎胆结石"),
    _d("urolithiasis", "泌尿系结石", OTHER, _O, "肾结石", "输尿管结石", "尿路结石"),
    _d("arrhythmia", "心律失常", OTHER, _O, "心律不齐", "房颤", "心房颤动"),
    _d("cerebral_palsy", "脑性瘫痪", OTHER, _O, "脑瘫"),
)
# fmt: on

NO_DISEASE_WORDS: frozenset[str] = frozenset({"健康", "无", "无病", "正常", ""})
"""Values of 患病情况 that mean "no disease" (compared after normalisation)."""

DISEASES_BY_CODE: dict[str, DiseaseSpec] = {d.code: d for d in DISEASES}
FOLLOW_UPS_BY_CODE: dict[str, int] = {d.code: d.follow_ups_per_year for d in DISEASES}
KEY_FOLLOW_UP_CODES: frozenset[str] = frozenset(d.code for d in DISEASES if d.category == KEY4)
QUARTERLY_FOLLOW_UP_CODES: frozenset[str] = frozenset(
    d.code for d in DISEASES if d.follow_ups_per_year >= 4
)
ANNUAL_FOLLOW_UP_CODES: frozenset[str] = frozenset(d.code for d in DISEASES if d.category == ANNUAL)
SPECIAL_OUTPATIENT_CODES: frozenset[str] = frozenset(
    d.code for d in DISEASES if d.category == SPECIAL_OUTPATIENT
)
MAJOR_DISEASE_CODES: frozenset[str] = frozenset(d.code for d in DISEASES if d.category == MAJOR)


# --- text matching ----------------------------------------------------------------------------

_SPLIT = re.compile(r"[、,;/\s]+")
_PARENTHETICAL = re.compile(r"\([^()]*\)")
_GRADE_SUFFIX = re.compile(r"(?:[0-9一二三]|i{1,3}|iv)级$")


def normalize_disease_text(text: str) -> str:
    """Return the lookup key of a disease text: half-width, no whitespace, lower case.

    Rosters mix 全角 and 半角, Roman-numeral code points, stray spaces and case ("copd"), so the
    index and every lookup go through the same canonical form.
    """
    text = unicodedata.normalize("NFKC", to_halfwidth(text))
    return "".join(text.split()).casefold()


def _build_index() -> dict[str, DiseaseSpec]:
    """Map every normalised spelling to its entry; fail loudly on contradictory data.

    Explicit names and synonyms win over derived variants (a trailing 病/症 added or removed), so
    the derived ones can never steal a spelling that is listed for another entry.
    """
    index: dict[str, DiseaseSpec] = {}
    for spec in DISEASES:
        for spelling in (spec.name, *spec.synonyms):
            key = normalize_disease_text(spelling)
            other = index.get(key)
            if other is not None and other.code != spec.code:
                raise ValueError(
                    f"disease spelling {spelling!r} is listed for {other.code} and {spec.code}"
                )
            index[key] = spec
    derived: dict[str, DiseaseSpec] = {}
    for key, spec in index.items():
        if key.isascii():
            continue
        if key[-1] in "病症":
            variants = [key[:-1]] if len(key) > 3 else []
        else:
            variants = [key + "病", key + "症"]
        for variant in variants:
            if variant not in index:
                derived.setdefault(variant, spec)
    index.update(derived)
    return index


_INDEX: dict[str, DiseaseSpec] = _build_index()


@lru_cache(maxsize=4096)
def match_disease(text: str) -> DiseaseSpec | None:
    """Return the catalogue entry a roster spelling denotes, or None when it is not recognised.

    Falls back to dropping a parenthetical remark and a severity grade ("高血压(2级)",
    "高血压3级"), which rosters append freely.  Cached: a roster repeats the same few spellings
    tens of thousands of times.
    """
    if not text:
        return None
    key = normalize_disease_text(text)
    spec = _INDEX.get(key)
    if spec is not None:
        return spec
    stripped = _GRADE_SUFFIX.sub("", _PARENTHETICAL.sub("", key))
    if stripped and stripped != key:
        return _INDEX.get(stripped)
    return None


def split_diseases(text: str) -> list[str]:
    """Split a 患病情况 cell into its disease texts.

    Separators are 、 , ; / and runs of whitespace, in either width (，；／ are folded first);
    empty pieces are dropped.
    """
    if not text:
        return []
    return [part for part in _SPLIT.split(to_halfwidth(text)) if part]
