"""Free clinics: the totals against seed 002's printed figures, by region and period, the
target list's coverage (two rounds a village), the service's money rules, the API."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from screening import selectors, services
from screening.demo import SEED_002, free_clinic_rows
from screening.models import FreeClinic
from tests.screening.factories import FreeClinicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def h1_2019(tree, users):
    """The demo's 21 clinics of H1 2019 in the test tree's 元谋 villages."""
    villages = [tree.village, tree.village2, tree.other_township_village]
    for row in free_clinic_rows(villages):
        services.free_clinic_record(**row, by=users.county_staff)
    # One clinic in another county and one in another half year: neither may count.
    FreeClinicFactory(village=tree.other_county_village, held_on=dt.date(2019, 3, 1))
    FreeClinicFactory(village=tree.village, held_on=dt.date(2019, 7, 2))


def test_totals_are_the_seed_figures(h1_2019, users, api_as):
    body = (
        api_as(users.county_staff)
        .get(reverse("indicators-free-clinics"), {"start": "2019-01-01", "end": "2019-06-30"})
        .json()
    )
    assert body == {
        "sessions": 21,
        "staff_times": 158,
        "served": 1685,
        "leaflets": 4908,
        "drug_value": "8344.59",
        "service_value": "41468.00",
        "total_value": "49812.59",
    }
    assert SEED_002["drug_value"] + SEED_002["service_value"] == Decimal("49812.59")


def test_totals_by_region_and_period(h1_2019, users):
    total, rows = selectors.free_clinic_totals(
        users.county_staff, start=dt.date(2019, 1, 1), end=dt.date(2019, 6, 30)
    )
    assert [r.name for r, _t in rows] == ["元马镇", "黄瓜园镇"]
    assert sum(t.sessions for _r, t in rows) == 21
    assert sum((t.total_value for _r, t in rows), Decimal(0)) == Decimal("49812.59")
    township, _rows = selectors.free_clinic_totals(
        users.township_doctor, start=dt.date(2019, 1, 1), end=dt.date(2019, 6, 30)
    )
    assert township.sessions == rows[0][1].sessions
    everything, _rows = selectors.free_clinic_totals(users.supervisor)
    assert everything.sessions == 23


def test_target_coverage_lists_villages_missing_a_round(tree, users):
    target = services.free_clinic_target_create(
        name="预脱贫出列贫困村义诊",
        county=tree.county,
        starts_on=dt.date(2018, 11, 6),
        ends_on=dt.date(2018, 11, 30),
        villages=[tree.village, tree.village2, tree.other_township_village],
        by=users.county_staff,
    )
    FreeClinicFactory(village=tree.village, held_on=dt.date(2018, 11, 8))
    FreeClinicFactory(village=tree.village, held_on=dt.date(2018, 11, 20))
    FreeClinicFactory(village=tree.village2, held_on=dt.date(2018, 11, 21))
    FreeClinicFactory(village=tree.village2, held_on=dt.date(2018, 12, 2))  # after the period
    coverage = selectors.target_coverage(target, users.county_staff)
    assert coverage.complete == 1
    assert [(v.village.code, v.held, v.missing) for v in coverage.missing_villages] == [
        (tree.village2.code, 1, 1),
        (tree.other_township_village.code, 0, 2),
    ]
    # A township doctor sees the villages of their township only.
    mine = selectors.target_coverage(target, users.township_doctor)
    assert [v.village.code for v in mine.villages] == [tree.village.code, tree.village2.code]


def test_money_rules(tree, users):
    with pytest.raises(ValidationError) as error:
        services.free_clinic_record(
            held_on=dt.date(2019, 3, 1),
            village=tree.village,
            unit_name="元谋县人民医院",
            staff_times=0,
            served=10,
            drug_value="12.345",
            service_value="-1",
            by=users.county_staff,
        )
    assert set(error.value.message_dict) == {"staff_times", "drug_value", "service_value"}
    with pytest.raises(ValidationError) as error:
        services.free_clinic_record(
            held_on=dt.date(2019, 3, 1),
            village=tree.township,
            unit_name="",
            staff_times=3,
            served=10,
            by=users.county_staff,
        )
    assert set(error.value.message_dict) == {"village", "unit_name"}


def test_api_records_a_free_clinic(tree, users, api_as):
    response = api_as(users.township_doctor).post(
        reverse("freeclinic-list"),
        {
            "held_on": "2019-05-04",
            "village": tree.village.code,
            "unit_name": "元马镇卫生院",
            "team_name": "党员服务先锋队",
            "staff_times": 6,
            "served": 75,
            "leaflets": 210,
            "drug_value": "321.50",
            "service_value": "1800",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["total_value"] == "2121.50"
    assert FreeClinic.objects.get().created_by == users.township_doctor
    response = api_as(users.township_doctor).post(
        reverse("freeclinic-list"),
        {
            "held_on": "2019-05-04",
            "village": tree.other_township_village.code,
            "staff_times": 1,
            "served": 1,
        },
        format="json",
    )
    assert response.status_code == 400 and "village" in response.json()


def test_totals_page(h1_2019, users, client_as):
    response = client_as(users.county_staff).get(
        reverse("screening:freeclinic-totals"), {"start": "2019-01-01", "end": "2019-06-30"}
    )
    assert response.status_code == 200
    assert response.context["total"].total_value == Decimal("49812.59")
    assert b"49812.59" in response.content


def test_photos_are_kept_and_served_in_scope(tree, users, client_as, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    response = client_as(users.village_doctor).post(
        reverse("screening:freeclinic-new"),
        {
            "held_on": "2019-05-04",
            "village": tree.village.code,
            "unit_name": "元马镇卫生院",
            "staff_times": "6",
            "served": "75",
            "leaflets": "210",
            "drug_value": "321.50",
            "service_value": "1800",
            "photos": SimpleUploadedFile("义诊.jpg", b"\xff\xd8\xff\xe0photo", "image/jpeg"),
        },
    )
    assert response.status_code == 302
    photo = FreeClinic.objects.get().photos.get()
    listing = client_as(users.county_staff).get(reverse("screening:freeclinic-list"))
    assert 'data-testid="photo"' in listing.content.decode()
    url = reverse("screening:freeclinic-photo", args=[photo.pk])
    assert b"".join(client_as(users.county_staff).get(url).streaming_content).endswith(b"photo")
    assert client_as(users.other_county_staff).get(url).status_code == 404
    assert client_as(users.hospital_staff).get(url).status_code == 404
