"""Every UI string has a Chinese translation, and the compiled catalogues match the sources.

Catalogues: the project's ``locale/`` (core and site templates) and each app's own
``<app>/locale/``. With gettext installed (CI installs it) the test re-extracts the
messages from a copy of the code, so a new string without a translation fails here.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE_DIRS = [ROOT / "locale"] + sorted(
    p for p in ROOT.glob("*/locale") if p.parent.name not in {".venv", "var"}
)
IGNORES = [".venv", "var", "tests", "bench", "static", "node_modules", "docs"]


def po_files(base: Path) -> list[Path]:
    return sorted(base.glob("*/locale/zh_Hans/LC_MESSAGES/django.po")) + sorted(
        base.glob("locale/zh_Hans/LC_MESSAGES/django.po")
    )


def untranslated(po: polib.POFile) -> list[str]:
    return [
        entry.msgid
        for entry in po
        if not entry.obsolete
        and (
            "fuzzy" in entry.flags
            or (not entry.msgid_plural and not entry.msgstr.strip())
            or (entry.msgid_plural and not all(v.strip() for v in entry.msgstr_plural.values()))
        )
    ]


def test_there_is_a_chinese_catalogue():
    assert (ROOT / "locale/zh_Hans/LC_MESSAGES/django.po").exists()


@pytest.mark.parametrize("po_path", po_files(ROOT), ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_catalogue_is_complete_and_compiled(po_path):
    po = polib.pofile(str(po_path))
    missing = untranslated(po)
    assert not missing, f"{len(missing)} untranslated in {po_path}: {missing[:20]}"
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is not compiled"
    mo = polib.mofile(str(mo_path))
    compiled = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in mo}
    stale = [
        e.msgid
        for e in po.translated_entries()
        if compiled.get((e.msgctxt, e.msgid)) != (e.msgstr or e.msgstr_plural)
    ]
    assert not stale, f"{mo_path} is older than its .po: {stale[:10]}"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")
def test_every_message_in_the_code_is_translated(tmp_path):
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT, copy, ignore=shutil.ignore_patterns(*IGNORES, ".git", "__pycache__", "*.mo")
    )
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            *[f"--ignore={name}/*" for name in IGNORES],
        ],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "healthaid.settings",
            "PYTHONPATH": str(copy),
            "HEALTHAID_VAR_DIR": str(tmp_path / "var"),
        },
    )
    assert result.returncode == 0, result.stderr
    problems = {}
    for po_path in po_files(copy):
        missing = untranslated(polib.pofile(str(po_path)))
        if missing:
            problems[str(po_path.relative_to(copy))] = missing
    assert not problems, f"untranslated messages: {problems}"
