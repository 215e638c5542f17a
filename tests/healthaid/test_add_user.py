import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from healthaid.models import AuditLog, Region, UserProfile

pytestmark = pytest.mark.django_db

PASSWORD = "Yuanmou-doctor-2026"


def test_add_user_by_name_path(tree, institutions):
    call_command(
        "add_user",
        "li",
        "--role",
        "township_doctor",
        "--region",
        "元谋县/元马镇",
        "--institution",
        "T532328101",
        "--password",
        PASSWORD,
    )
    profile = UserProfile.objects.get(user__username="li")
    assert profile.role == "township_doctor"
    assert profile.region == tree.township
    assert profile.institution.code == "T532328101"
    assert get_user_model().objects.get(username="li").check_password(PASSWORD)
    assert AuditLog.objects.filter(target_type="auth.user", action="create").exists()


def test_add_user_by_code_prefix_or_full_code(tree):
    call_command(
        "add_user", "zhu", "--role", "county_staff", "--region", "532328", "--password", PASSWORD
    )
    call_command(
        "add_user",
        "yang",
        "--role",
        "supervisor",
        "--region",
        "532300000000",
        "--password",
        PASSWORD,
    )
    assert UserProfile.objects.get(user__username="zhu").region == tree.county
    assert UserProfile.objects.get(user__username="yang").region == tree.prefecture


def test_rerunning_updates_instead_of_duplicating(tree):
    for _ in range(2):
        call_command(
            "add_user",
            "zhu",
            "--role",
            "county_staff",
            "--region",
            "元谋县",
            "--password",
            PASSWORD,
        )
    assert get_user_model().objects.filter(username="zhu").count() == 1


def test_unknown_role_is_a_clear_error(tree):
    with pytest.raises(CommandError, match="doctor.*county_staff"):
        call_command(
            "add_user", "x", "--role", "doctor", "--region", "元谋县", "--password", PASSWORD
        )


def test_unknown_region_is_a_clear_error(tree):
    with pytest.raises(CommandError, match="火星县"):
        call_command(
            "add_user", "x", "--role", "county_staff", "--region", "火星县", "--password", PASSWORD
        )


def test_ambiguous_name_lists_the_matches(tree):
    Region.objects.create(
        code="532322101202", name="能禹村委会", level=12, parent=tree.other_county_township
    )
    with pytest.raises(CommandError) as excinfo:
        call_command(
            "add_user",
            "x",
            "--role",
            "village_doctor",
            "--region",
            "能禹村委会",
            "--password",
            PASSWORD,
        )
    message = str(excinfo.value)
    assert "532328101201" in message and "532322101202" in message
    # more of the path resolves it
    call_command(
        "add_user",
        "x",
        "--role",
        "village_doctor",
        "--region",
        "元马镇/能禹村委会",
        "--password",
        PASSWORD,
    )
    assert UserProfile.objects.get(user__username="x").region_id == "532328101201"


def test_role_must_fit_the_region_level(tree):
    with pytest.raises(CommandError):
        call_command(
            "add_user",
            "x",
            "--role",
            "village_doctor",
            "--region",
            "元谋县",
            "--password",
            PASSWORD,
        )


def test_hospital_staff_need_an_institution(tree, institutions):
    with pytest.raises(CommandError):
        call_command(
            "add_user",
            "h",
            "--role",
            "hospital_staff",
            "--region",
            "元谋县",
            "--password",
            PASSWORD,
        )
    call_command(
        "add_user",
        "h",
        "--role",
        "hospital_staff",
        "--region",
        "元谋县",
        "--institution",
        "H53232801",
        "--password",
        PASSWORD,
    )


def test_weak_password_is_refused(tree):
    with pytest.raises(CommandError):
        call_command(
            "add_user", "x", "--role", "county_staff", "--region", "元谋县", "--password", "123456"
        )


def test_token_for_the_api(tree, client):
    call_command(
        "add_user", "api", "--role", "county_staff", "--region", "元谋县", "--password", PASSWORD
    )
    call_command("drf_create_token", "api")
    token = Token.objects.get(user__username="api")
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response.json()["profile"]["region"]["code"] == "532328000000"
