"""County staff create and edit consortia in the portal (particulars, agreement file, 1+N
members); the agreement is downloaded through a scoped view; the remote-consultation form
takes an optional member of the user's scope."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from healthaid.models import AuditLog
from medconsortium import services
from medconsortium.models import Consortium, ConsortiumMember, RemoteConsultation
from tests.medconsortium.conftest import ROLES, VISIBLE

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
XLSX = b"PK\x03\x04" + b"\x00" * 64
CONSORTIUM_CASES = [(key, role) for key in VISIBLE["consortia"] for role in ROLES]
CASE_IDS = [f"{k}-{r}" for k, r in CONSORTIUM_CASES]
EDITORS = {"county_staff", "other_county_staff"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pdf(name="协议.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def with_agreement(consortium):
    consortium.agreement_file.save("agreement.pdf", pdf(), save=True)
    return consortium


# --- services ------------------------------------------------------------------------------


def test_update_changes_the_particulars_and_writes_an_audit_row(world, users, institutions):
    consortium = world.consortia["county"]
    services.consortium_update(
        consortium=consortium,
        name="元谋县紧密型医共体",
        kind="alliance",
        lead=institutions.county_hospital,
        status="suspended",
        signed_on=datetime.date(2024, 3, 1),
        agreement_file=pdf(),
        note="2024 年续签",
        by=users.county_staff,
    )
    consortium.refresh_from_db()
    assert (consortium.name, consortium.kind, consortium.status) == (
        "元谋县紧密型医共体",
        "alliance",
        "suspended",
    )
    assert consortium.signed_on == datetime.date(2024, 3, 1)
    assert consortium.agreement_file.name.endswith(".pdf")
    assert consortium.agreement_file.read() == PDF
    row = AuditLog.objects.filter(target_id=str(consortium.pk)).latest("pk")
    assert row.action == "update"
    assert "name" in row.after and row.after["name"] == "元谋县紧密型医共体"


def test_update_keeps_the_agreement_when_no_file_is_given(world, users, institutions):
    consortium = with_agreement(world.consortia["county"])
    stored = consortium.agreement_file.name
    services.consortium_update(
        consortium=consortium,
        name=consortium.name,
        kind=consortium.kind,
        lead=consortium.lead,
        status=consortium.status,
        by=users.county_staff,
    )
    consortium.refresh_from_db()
    assert consortium.agreement_file.name == stored


@pytest.mark.parametrize("role", ["township_doctor", "hospital_staff", "supervisor"])
def test_only_county_staff_update(role, world, users):
    consortium = world.consortia["county"]
    with pytest.raises(PermissionDenied):
        services.consortium_update(
            consortium=consortium,
            name="改名",
            kind=consortium.kind,
            lead=consortium.lead,
            status=consortium.status,
            by=getattr(users, role),
        )
    consortium.refresh_from_db()
    assert consortium.name == "元谋县医共体"


def test_update_refuses_a_member_as_lead_and_a_taken_name(world, users, institutions):
    consortium = world.consortia["county"]
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        services.consortium_update(
            consortium=consortium,
            name=consortium.name,
            kind=consortium.kind,
            lead=institutions.township_centre,
            status=consortium.status,
            by=users.county_staff,
        )
    assert refused.value.message_dict["lead"][0].startswith("牵头单位")
    Consortium.objects.create(name="同名", kind="alliance", lead=institutions.county_hospital)
    with pytest.raises(ValidationError) as refused:
        services.consortium_update(
            consortium=consortium,
            name="同名",
            kind=consortium.kind,
            lead=consortium.lead,
            status=consortium.status,
            by=users.county_staff,
        )
    assert "name" in refused.value.message_dict


def test_remove_member_writes_an_audit_row_and_refuses_a_non_member(world, users, institutions):
    consortium = world.consortia["county"]
    services.consortium_remove_member(
        consortium=consortium, institution=institutions.township_centre, by=users.county_staff
    )
    assert not consortium.memberships.filter(institution=institutions.township_centre).exists()
    row = AuditLog.objects.filter(target_id=str(consortium.pk)).latest("pk")
    assert row.message == "member removed"
    assert row.before == {"member_removed": institutions.township_centre.pk}
    with pytest.raises(ValidationError) as refused:
        services.consortium_remove_member(
            consortium=consortium, institution=institutions.township_centre, by=users.county_staff
        )
    assert "institution" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        services.consortium_remove_member(
            consortium=consortium,
            institution=institutions.other_township_centre,
            by=users.hospital_staff,
        )


@pytest.mark.parametrize(
    "upload",
    [
        pdf(),
        pdf("扫描件.PNG", PNG, "image/png"),
        pdf("scan.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 32, "image/jpeg"),
    ],
    ids=["pdf", "png", "jpeg"],
)
def test_agreement_check_accepts_pdf_and_images(upload):
    assert services.agreement_file_check(upload) is upload


@pytest.mark.parametrize(
    "upload, words",
    [
        (pdf("协议.xlsx", XLSX, "application/vnd.ms-excel"), "PDF"),
        (pdf("协议.pdf", XLSX, "application/pdf"), "内容"),
        (pdf("协议.pdf", PDF, "image/png"), "类型"),
        (pdf("协议.pdf", b""), "空"),
        (pdf("协议.pdf", PDF + b"0" * services.AGREEMENT_MAX_BYTES), "10 MB"),
    ],
    ids=["extension", "content", "declared-type", "empty", "too-large"],
)
def test_agreement_check_refuses_in_chinese_naming_the_field(upload, words):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        services.agreement_file_check(upload)
    message = refused.value.message_dict["agreement_file"][0]
    assert message.startswith("协议文件")
    assert words in message


# --- pages: who may open them ----------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_create_page_is_for_county_staff(role, users, client_as):
    response = client_as(getattr(users, role)).get(reverse("medconsortium:consortium-create"))
    assert response.status_code == (200 if role in EDITORS else 403)


@pytest.mark.parametrize("key, role", CONSORTIUM_CASES, ids=CASE_IDS)
def test_edit_page_is_404_outside_the_scope_and_403_for_the_role(
    key, role, users, world, client_as
):
    url = reverse("medconsortium:consortium-edit", args=[world.consortia[key].pk])
    response = client_as(getattr(users, role)).get(url)
    if role not in VISIBLE["consortia"][key]:
        assert response.status_code == 404
    else:
        assert response.status_code == (200 if role in EDITORS else 403)


@pytest.mark.parametrize("key, role", CONSORTIUM_CASES, ids=CASE_IDS)
def test_member_commands_are_404_outside_the_scope(key, role, users, world, institutions, client):
    consortium = world.consortia[key]
    client.force_login(getattr(users, role))
    member = consortium.memberships.first()
    urls = [reverse("medconsortium:consortium-member-add", args=[consortium.pk])]
    if member is not None:
        urls.append(
            reverse(
                "medconsortium:consortium-member-remove",
                args=[consortium.pk, member.institution_id],
            )
        )
    before = ConsortiumMember.objects.count()
    for url in urls:
        response = client.post(url, {"institution": institutions.village_clinic.pk})
        if role not in VISIBLE["consortia"][key]:
            assert response.status_code == 404
        elif role not in EDITORS:
            assert response.status_code == 403
    if role not in EDITORS or role not in VISIBLE["consortia"][key]:
        assert ConsortiumMember.objects.count() == before


@pytest.mark.parametrize("key, role", CONSORTIUM_CASES, ids=CASE_IDS)
def test_agreement_download_is_scoped(key, role, users, world, client_as):
    consortium = with_agreement(world.consortia[key])
    url = reverse("medconsortium:consortium-agreement", args=[consortium.pk])
    response = client_as(getattr(users, role)).get(url)
    if role not in VISIBLE["consortia"][key]:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF


def test_agreement_download_without_a_file_is_404(users, world, client_as):
    url = reverse("medconsortium:consortium-agreement", args=[world.consortia["county"].pk])
    assert client_as(users.county_staff).get(url).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_links_are_shown_to_county_staff_only(role, users, world, client_as):
    client = client_as(getattr(users, role))
    listing = client.get(reverse("medconsortium:consortium-list")).content.decode()
    assert ('data-testid="consortium-create-link"' in listing) == (role in EDITORS)
    consortium = with_agreement(world.consortia["prefecture"])
    response = client.get(reverse("medconsortium:consortium-detail", args=[consortium.pk]))
    if response.status_code == 404:
        return
    page = response.content.decode()
    assert ('data-testid="consortium-edit-link"' in page) == (role in EDITORS)
    assert reverse("medconsortium:consortium-agreement", args=[consortium.pk]) in page


# --- pages: the writes -----------------------------------------------------------------------


def test_county_staff_create_a_consortium_with_its_agreement(users, institutions, client_as):
    client = client_as(users.county_staff)
    response = client.post(
        reverse("medconsortium:consortium-create"),
        {
            "name": "元谋县中医医院医共体",
            "kind": "community",
            "lead": institutions.county_hospital.pk,
            "status": "active",
            "signed_on": "2024-01-10",
            "agreement_file": pdf(),
            "note": "",
        },
    )
    consortium = Consortium.objects.get(name="元谋县中医医院医共体")
    assert response.status_code == 302
    assert response["Location"] == reverse("medconsortium:consortium-edit", args=[consortium.pk])
    assert consortium.lead == institutions.county_hospital
    assert consortium.signed_on == datetime.date(2024, 1, 10)
    assert consortium.agreement_file.read() == PDF
    assert AuditLog.objects.filter(target_id=str(consortium.pk), action="create").exists()


def test_a_refused_file_is_named_on_the_form_and_nothing_is_saved(users, institutions, client_as):
    response = client_as(users.county_staff).post(
        reverse("medconsortium:consortium-create"),
        {
            "name": "元谋县中医医院医共体",
            "kind": "community",
            "lead": institutions.county_hospital.pk,
            "status": "active",
            "agreement_file": pdf("协议.pdf", XLSX),
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["agreement_file"]
    assert errors[0].startswith("协议文件")
    assert not Consortium.objects.filter(name="元谋县中医医院医共体").exists()


def test_lead_outside_the_users_scope_is_refused(users, institutions, client_as):
    response = client_as(users.county_staff).post(
        reverse("medconsortium:consortium-create"),
        {"name": "越界", "kind": "alliance", "lead": institutions.other_county_hospital.pk},
    )
    assert response.status_code == 200
    assert "lead" in response.context["form"].errors
    assert not Consortium.objects.filter(name="越界").exists()


def test_edit_page_saves_and_replaces_the_agreement(users, world, institutions, client_as):
    consortium = with_agreement(world.consortia["county"])
    old = consortium.agreement_file.name
    response = client_as(users.county_staff).post(
        reverse("medconsortium:consortium-edit", args=[consortium.pk]),
        {
            "name": "元谋县医共体（2024）",
            "kind": "community",
            "lead": institutions.county_hospital.pk,
            "status": "ended",
            "signed_on": "",
            "agreement_file": pdf("scan.png", PNG, "image/png"),
        },
    )
    assert response.status_code == 302
    consortium.refresh_from_db()
    assert consortium.name == "元谋县医共体（2024）"
    assert consortium.status == "ended"
    assert consortium.agreement_file.name != old
    assert consortium.agreement_file.name.endswith(".png")


def test_members_are_added_and_removed_on_the_edit_page(users, world, institutions, client_as):
    consortium = world.consortia["county"]
    client = client_as(users.county_staff)
    add = reverse("medconsortium:consortium-member-add", args=[consortium.pk])
    response = client.post(
        add,
        {
            "institution": institutions.village_clinic.pk,
            "joined_on": "2024-02-01",
            "items": ["remote_ecg", "training"],
        },
    )
    assert response.status_code == 302
    member = consortium.memberships.get(institution=institutions.village_clinic)
    assert member.joined_on == datetime.date(2024, 2, 1)
    assert member.items == ["remote_ecg", "training"]
    # Already a member: no longer offered, so refused by the form.
    response = client.post(add, {"institution": institutions.village_clinic.pk})
    assert response.status_code == 200
    assert "institution" in response.context["member_form"].errors
    # Outside the user's scope: not offered either.
    response = client.post(add, {"institution": institutions.other_county_hospital.pk})
    assert "institution" in response.context["member_form"].errors
    remove = reverse(
        "medconsortium:consortium-member-remove",
        args=[consortium.pk, institutions.village_clinic.pk],
    )
    assert client.post(remove).status_code == 302
    assert not consortium.memberships.filter(institution=institutions.village_clinic).exists()
    assert client.post(remove).status_code == 404


def test_member_form_offers_only_visible_institutions_not_yet_members(users, world, client_as):
    consortium = world.consortia["county"]
    response = client_as(users.county_staff).get(
        reverse("medconsortium:consortium-edit", args=[consortium.pk])
    )
    offered = set(response.context["member_form"].fields["institution"].queryset)
    assert {i.name for i in offered} == {"楚雄州人民医院", "能禹村卫生室"}


@pytest.mark.parametrize("extra", [1, 6])
def test_edit_page_queries_do_not_grow_with_members(
    extra, users, world, tree, client_as, django_assert_num_queries
):
    from tests.healthaid.factories import InstitutionFactory

    consortium = world.consortia["county"]
    for n in range(extra):
        ConsortiumMember.objects.create(
            consortium=consortium,
            institution=InstitutionFactory(
                code=f"V5323281012{n:02d}", kind="village", region=tree.village
            ),
            items=["training"],
        )
    client = client_as(users.county_staff)
    url = reverse("medconsortium:consortium-edit", args=[consortium.pk])
    client.get(url)  # warm the session and caches
    with django_assert_num_queries(7):
        response = client.get(url)
    assert len(response.context["members"]) == 2 + extra


# --- remote consultations: the optional member ----------------------------------------------


def consultation_data(requesting, reading, member=""):
    return {
        "requesting": requesting.pk,
        "reading": reading.pk,
        "kind": "ecg",
        "date": datetime.date.today().isoformat(),
        "member": member,
        "summary": "窦性心律",
    }


@pytest.mark.parametrize(
    "role, requesting, reading, member, accepted",
    [
        ("county_staff", "township_centre", "county_hospital", "village", True),
        ("county_staff", "township_centre", "county_hospital", "other_county_village", False),
        ("hospital_staff", "county_hospital", "prefecture_hospital", "village", True),
        ("hospital_staff", "county_hospital", "prefecture_hospital", "other_county_village", False),
        ("other_county_staff", "other_county_hospital", "prefecture_hospital", "village", False),
    ],
)
def test_consultation_member_must_be_in_the_users_scope(
    role, requesting, reading, member, accepted, users, world, registry, institutions, client_as
):
    person = registry.heads[member]
    before = RemoteConsultation.objects.count()
    response = client_as(getattr(users, role)).post(
        reverse("medconsortium:consultation-list"),
        consultation_data(
            getattr(institutions, requesting), getattr(institutions, reading), person.pk
        ),
    )
    if accepted:
        assert response.status_code == 302
        assert RemoteConsultation.objects.latest("pk").member == person
    else:
        assert response.status_code == 200
        assert "member" in response.context["form"].errors
        assert RemoteConsultation.objects.count() == before


def test_consultation_without_a_member_is_recorded(users, world, institutions, client_as):
    response = client_as(users.county_staff).post(
        reverse("medconsortium:consultation-list"),
        consultation_data(institutions.township_centre, institutions.county_hospital),
    )
    assert response.status_code == 302
    assert RemoteConsultation.objects.latest("pk").member is None


# --- API: multipart with the agreement ------------------------------------------------------


def test_api_create_takes_the_agreement_as_multipart(users, institutions, api_as):
    response = api_as(users.county_staff).post(
        "/api/v1/consortia/",
        {
            "name": "元谋县远程心电协作网",
            "kind": "alliance",
            "lead": institutions.county_hospital.pk,
            "agreement_file": pdf(),
            "members[0]institution": institutions.township_centre.pk,
            "members[0]items": ["remote_ecg"],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.data["has_agreement"] is True
    consortium = Consortium.objects.get(pk=response.data["id"])
    assert consortium.agreement_file.read() == PDF
    assert [m.institution for m in consortium.memberships.all()] == [institutions.township_centre]


def test_api_create_refuses_a_disguised_agreement(users, institutions, api_as):
    response = api_as(users.county_staff).post(
        "/api/v1/consortia/",
        {
            "name": "元谋县远程心电协作网",
            "kind": "alliance",
            "lead": institutions.county_hospital.pk,
            "agreement_file": pdf("协议.pdf", XLSX),
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert "agreement_file" in response.data
    assert not Consortium.objects.filter(name="元谋县远程心电协作网").exists()


@pytest.mark.parametrize("role", ["county_staff", "hospital_staff", "township_doctor"])
def test_referral_page_links_to_a_consultation_for_its_patient(role, users, world, client_as):
    referral = world.referrals["village"]
    client = client_as(getattr(users, role))
    page = client.get(reverse("medconsortium:referral-detail", args=[referral.pk]))
    link = f"{reverse('medconsortium:consultation-list')}?member={referral.member_id}"
    assert (link in page.content.decode()) == (role != "township_doctor")
    if role == "township_doctor":
        return
    response = client.get(link)
    assert response.context["form"].initial["member"] == referral.member_id
    assert response.context["chosen_member"] == referral.member


def test_consultation_page_ignores_a_member_outside_the_scope(users, world, registry, client_as):
    outside = registry.heads["other_county_village"]
    response = client_as(users.hospital_staff).get(
        reverse("medconsortium:consultation-list"), {"member": outside.pk}
    )
    assert response.context["chosen_member"] is None
    assert "member" not in response.context["form"].initial
    assert outside.name not in response.content.decode()


@pytest.mark.parametrize("url", ["create", "edit"])
def test_an_agreement_over_the_cap_is_refused_before_the_body_is_read(url, users, world, client_as):
    if url == "create":
        target = reverse("medconsortium:consortium-create")
    else:
        target = reverse("medconsortium:consortium-edit", args=[world.consortia["county"].pk])
    before = Consortium.objects.count()
    response = client_as(users.county_staff).post(
        target,
        {"name": "大文件", "agreement_file": pdf()},
        CONTENT_LENGTH=str(100 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert Consortium.objects.count() == before
    assert not Consortium.objects.filter(name="大文件").exists()
