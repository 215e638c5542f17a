"""Choices of the registry, with Chinese labels through gettext."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PovertyAttribute(models.TextChoices):
    GENERAL = "general", _("General poor household")
    DIBAO = "dibao", _("Minimum-living-allowance poor household")
    TEKUN = "tekun", _("Extreme-poverty supported household")


class PovertyStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered poor")
    LIFTED = "lifted", _("Lifted out of poverty")
    MONITORED = "monitored", _("Monitored")


class PovertyCause(models.TextChoices):
    ILLNESS = "illness", _("Illness")
    DISABILITY = "disability", _("Disability")
    EDUCATION = "education", _("Education costs")
    DISASTER = "disaster", _("Disaster")
    LABOUR = "labour", _("Lack of labour")
    LAND = "land", _("Lack of land")
    WATER = "water", _("Lack of water")
    SKILLS = "skills", _("Lack of skills")
    FUNDS = "funds", _("Lack of funds")
    TRANSPORT = "transport", _("Poor transport")
    MOTIVATION = "motivation", _("Lack of motivation")
    OTHER = "other", _("Other")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    SON = "son", _("Son")
    DAUGHTER = "daughter", _("Daughter")
    DAUGHTER_IN_LAW = "daughter_in_law", _("Daughter-in-law")
    SON_IN_LAW = "son_in_law", _("Son-in-law")
    GRANDSON = "grandson", _("Grandson")
    GRANDDAUGHTER = "granddaughter", _("Granddaughter")
    FATHER = "father", _("Father")
    MOTHER = "mother", _("Mother")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other relative")


class HealthStatus(models.TextChoices):
    HEALTHY = "healthy", _("Healthy")
    CHRONIC = "chronic", _("Chronic disease")
    SERIOUS = "serious", _("Serious illness")
    # "person" context: other catalogues translate a bare "Disabled" as 禁用 (switched off).
    DISABLED = "disabled", pgettext_lazy("person", "Disabled")


class DiseaseCategory(models.TextChoices):
    KEY4 = "key4", _("Four follow-ups a year")
    ANNUAL = "annual", _("One follow-up a year")
    SPECIAL_OUTPATIENT = "special_outpatient", _("Outpatient special chronic disease")
    MAJOR = "major", _("Major disease of special treatment")
    OTHER = "other", _("Other")


class ContactKind(models.TextChoices):
    VILLAGE_DOCTOR = "village_doctor", _("Village doctor")
    CONTRACTED_DOCTOR = "contracted_doctor", _("Contracted family doctor")
    HEALTH_CENTRE = "health_centre", _("Township health centre")
    EMERGENCY = "emergency", _("Emergency")
    OTHER = "other", _("Other")


# How the national poverty-alleviation information system spells each stored value: what the
# roster exports write and the importer reads back (its parsers also take the synonyms).
SEX_LABELS = {Sex.MALE: "男", Sex.FEMALE: "女"}
RELATION_LABELS = {
    Relation.HEAD: "户主",
    Relation.SPOUSE: "配偶",
    Relation.SON: "之子",
    Relation.DAUGHTER: "之女",
    Relation.DAUGHTER_IN_LAW: "之儿媳",
    Relation.SON_IN_LAW: "之女婿",
    Relation.GRANDSON: "之孙子",
    Relation.GRANDDAUGHTER: "之孙女",
    Relation.FATHER: "之父",
    Relation.MOTHER: "之母",
    Relation.SIBLING: "兄弟姐妹",
    Relation.OTHER: "其他",
}
ATTRIBUTE_LABELS = {
    PovertyAttribute.GENERAL: "一般贫困户",
    PovertyAttribute.DIBAO: "低保贫困户",
    PovertyAttribute.TEKUN: "特困供养贫困户",
}
CAUSE_LABELS = {
    PovertyCause.ILLNESS: "因病",
    PovertyCause.DISABILITY: "因残",
    PovertyCause.EDUCATION: "因学",
    PovertyCause.DISASTER: "因灾",
    PovertyCause.LABOUR: "缺劳力",
    PovertyCause.LAND: "缺土地",
    PovertyCause.WATER: "缺水",
    PovertyCause.SKILLS: "缺技术",
    PovertyCause.FUNDS: "缺资金",
    PovertyCause.TRANSPORT: "交通条件落后",
    PovertyCause.MOTIVATION: "自身发展动力不足",
    PovertyCause.OTHER: "其他",
}
STATUS_LABELS = {
    PovertyStatus.REGISTERED: "未脱贫",
    PovertyStatus.LIFTED: "已脱贫",
    PovertyStatus.MONITORED: "监测户",
}
