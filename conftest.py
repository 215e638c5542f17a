"""Fixtures shared by the whole suite: a small administrative tree and one user per role.

The tree: 云南省 › 楚雄州 › 元谋县 (townships 元马镇 with villages 能禹村/丙间村, and
黄瓜园镇 with 小雷宰村) and 双柏县 (妥甸镇 › 大庄村): enough for every role to have
records both inside and outside its scope.
"""

from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from healthaid.choices import InstitutionKind, RegionLevel, Role
from healthaid.models import Region, UserProfile
from tests.healthaid.factories import TEST_PASSWORD, InstitutionFactory, UserFactory  # noqa: F401

TREE = [
    ("530000000000", "云南省", RegionLevel.PROVINCE, None),
    ("532300000000", "楚雄彝族自治州", RegionLevel.PREFECTURE, "530000000000"),
    ("532328000000", "元谋县", RegionLevel.COUNTY, "532300000000"),
    ("532328101000", "元马镇", RegionLevel.TOWNSHIP, "532328000000"),
    ("532328101201", "能禹村委会", RegionLevel.VILLAGE, "532328101000"),
    ("532328101202", "丙间村委会", RegionLevel.VILLAGE, "532328101000"),
    ("532328102000", "黄瓜园镇", RegionLevel.TOWNSHIP, "532328000000"),
    ("532328102201", "小雷宰村委会", RegionLevel.VILLAGE, "532328102000"),
    ("532322000000", "双柏县", RegionLevel.COUNTY, "532300000000"),
    ("532322101000", "妥甸镇", RegionLevel.TOWNSHIP, "532322000000"),
    ("532322101201", "大庄村委会", RegionLevel.VILLAGE, "532322101000"),
]


def build_tree() -> SimpleNamespace:
    regions = {}
    for code, name, level, parent in TREE:
        region = Region(code=code, name=name, level=level, parent=regions.get(parent))
        region.save()
        regions[code] = region
    return SimpleNamespace(
        province=regions["530000000000"],
        prefecture=regions["532300000000"],
        county=regions["532328000000"],
        township=regions["532328101000"],
        village=regions["532328101201"],
        village2=regions["532328101202"],
        other_township=regions["532328102000"],
        other_township_village=regions["532328102201"],
        other_county=regions["532322000000"],
        other_county_township=regions["532322101000"],
        other_county_village=regions["532322101201"],
        all=regions,
    )


@pytest.fixture
def tree(db) -> SimpleNamespace:
    return build_tree()


@pytest.fixture
def institutions(tree) -> SimpleNamespace:
    return SimpleNamespace(
        county_hospital=InstitutionFactory(
            code="H53232801",
            name="元谋县人民医院",
            kind=InstitutionKind.COUNTY_HOSPITAL,
            region=tree.county,
        ),
        prefecture_hospital=InstitutionFactory(
            code="H532300001",
            name="楚雄州人民医院",
            kind=InstitutionKind.TERTIARY_HOSPITAL,
            region=tree.prefecture,
        ),
        township_centre=InstitutionFactory(
            code="T532328101",
            name="元马镇卫生院",
            kind=InstitutionKind.TOWNSHIP_CENTRE,
            region=tree.township,
        ),
        other_township_centre=InstitutionFactory(
            code="T532328102",
            name="黄瓜园镇卫生院",
            kind=InstitutionKind.TOWNSHIP_CENTRE,
            region=tree.other_township,
        ),
        village_clinic=InstitutionFactory(
            code="V532328101201",
            name="能禹村卫生室",
            kind=InstitutionKind.VILLAGE_CLINIC,
            region=tree.village,
        ),
        other_county_hospital=InstitutionFactory(
            code="H53232201",
            name="双柏县人民医院",
            kind=InstitutionKind.COUNTY_HOSPITAL,
            region=tree.other_county,
        ),
    )


def make_user(username, role, region, institution=None, superuser=False):
    user = UserFactory(username=username, is_superuser=superuser, is_staff=superuser)
    if role is not None:
        UserProfile.objects.create(user=user, role=role, region=region, institution=institution)
    return user


@pytest.fixture
def users(tree, institutions) -> SimpleNamespace:
    """One user per role in 元谋县, plus county staff of another county."""
    return SimpleNamespace(
        county_staff=make_user("county", Role.COUNTY_STAFF, tree.county),
        township_doctor=make_user(
            "township", Role.TOWNSHIP_DOCTOR, tree.township, institutions.township_centre
        ),
        village_doctor=make_user(
            "village", Role.VILLAGE_DOCTOR, tree.village, institutions.village_clinic
        ),
        hospital_staff=make_user(
            "hospital", Role.HOSPITAL_STAFF, tree.county, institutions.county_hospital
        ),
        supervisor=make_user("supervisor", Role.SUPERVISOR, tree.prefecture),
        other_county_staff=make_user("county2", Role.COUNTY_STAFF, tree.other_county),
    )


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_as(client):
    """``client_as(user)``: the Django test client logged in as ``user``."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def api_as(api_client):
    """``api_as(user)``: the DRF test client authenticated as ``user``."""

    def login(user):
        api_client.force_authenticate(user)
        return api_client

    return login
