"""``manage.py import_roster``: output, exit status, error file."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from healthaid.importing.command import ImportStopped
from households.models import Household, Member
from tests.households.test_households_import_fixtures import (
    EXPECTED_ERRORS,
    ID,
    good_xlsx,
    messy_xlsx,
)

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def run(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_roster", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    except ImportStopped as exc:  # the shared import command ends with its message and status
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def messy_file(tmp_path):
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(messy_xlsx())
    return path


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(good_xlsx())
    return path


def test_refused_import_prints_every_error_and_exits_1(users, messy_file):
    code, out, err = run(str(messy_file), "--user", "county")
    assert code == 1
    assert "23 rows read (header in row 3)." in out
    assert "Households: 4 created, 0 updated, 0 unchanged, 8 skipped." in out
    assert "15 errors in 15 rows." in out
    lines = [line for line in err.splitlines() if line.startswith("Row ")]
    assert [int(line.split(",")[0][4:]) for line in lines] == [
        row for row, _c, _k in EXPECTED_ERRORS
    ]
    assert any(line.startswith("Row 14, 证件号码 “532328********") for line in lines)
    assert "Row 18, 县 “元某县”: There is no county named “元某县”." in err
    assert "Row 25, 姓名: This cell must not be empty." in err
    assert "Row 8, 患病情况 “某怪病”: Not in the disease catalogue" in out
    assert "Nothing was written" in err
    assert Member.objects.count() == 0


def test_skip_invalid_applies_and_exits_0(users, messy_file):
    code, out, err = run(str(messy_file), "--user", "county", "--skip-invalid")
    assert code == 0
    assert "Members: 7 created, 0 updated, 0 unchanged, 16 skipped." in out
    assert "New village: 云南省/楚雄彝族自治州/元谋县/元马镇/新建村" in out
    assert "Import applied; 15 rows with errors were skipped." in out
    assert Member.objects.count() == 7


def test_clean_import_then_reimport(users, good_file):
    code, out, _err = run(str(good_file), "--user", "county")
    assert code == 0 and "Import applied." in out
    code, out, _err = run(str(good_file), "--user", "county")
    assert code == 0
    assert "Members: 0 created, 0 updated, 7 unchanged, 0 skipped." in out


def test_dry_run(users, good_file, messy_file):
    code, out, _err = run(str(good_file), "--user", "county", "--dry-run")
    assert code == 0 and "Dry run: nothing was written." in out
    assert "Members: 7 created" in out
    assert Household.objects.count() == 0
    code, _out, _err = run(str(messy_file), "--user", "county", "--dry-run")
    assert code == 1


def test_error_file(users, messy_file, tmp_path):
    target = tmp_path / "errors.xlsx"
    code, out, _err = run(str(messy_file), "--user", "county", "--error-file", str(target))
    assert code == 1 and f"Error file written to {target}." in out
    sheet = openpyxl.load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][16] == "Error description"
    assert len(rows) == 1 + 16  # 15 rows with errors and row 22, skipped with its household
    assert {row[4] for row in rows[1:]} >= {"周九", "郑一", "沈七", "韩八"}


def test_unscoped_operator_run_imports_every_county(db, tree, messy_file):
    code, out, _err = run(str(messy_file), "--skip-invalid")
    assert code == 0
    # Without a user the other county's row is no longer outside anyone's area.
    assert Household.objects.filter(village__name="大庄村委会").exists()
    assert "14 errors" in out


def test_user_who_may_not_import(users, good_file):
    code, _out, err = run(str(good_file), "--user", "township")
    assert code == 1 and "may not import" in err


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "photo.xlsx", "not an Excel workbook or a CSV"),
        (b"", "empty.csv", "The sheet is empty."),
        ("姓名,备注\r\n张三,无\r\n".encode("gb18030"), "notes.csv", "None of the expected headers"),
    ],
)
def test_file_level_errors_exit_2(db, tmp_path, content, name, message):
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = run(str(path))
    assert code == 2
    assert message in err


def test_missing_file_and_unknown_user(db, tmp_path, good_file):
    with pytest.raises(CommandError) as missing:
        run(str(tmp_path / "nope.xlsx"))
    assert missing.value.returncode == 2
    with pytest.raises(CommandError) as unknown:
        run(str(good_file), "--user", "nobody")
    assert unknown.value.returncode == 2


def test_real_process_exit_status_and_no_traceback(tmp_path):
    """Through manage.py as an operator types it: a clear message, status 2, no traceback."""
    path = tmp_path / "scan.xlsx"
    path.write_bytes(b"%PDF-1.4 not a roster")
    env = {
        **os.environ,
        "HEALTHAID_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "healthaid.settings",
        "LANGUAGE_CODE": "en",
    }
    completed = subprocess.run(
        [sys.executable, "manage.py", "import_roster", str(path)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert "Excel" in completed.stderr  # the message, in whatever language is active
    assert ID.a not in completed.stdout + completed.stderr
