"""Production (DEBUG off) refuses to start without real secrets, and passes check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "SECRET_KEY": "s" * 50 + "-production-secret-key-for-the-check",
    "ID_NUMBER_ENCRYPTION_KEY": "e" * 40,
    "ID_NUMBER_INDEX_KEY": "i" * 40,
}


def run_manage(*args, **env_overrides):
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE must not leak into a "production" process.
    env = {
        k: v for k, v in os.environ.items() if k not in SECRETS and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(DJANGO_SETTINGS_MODULE="healthaid.settings", DEBUG="0", **env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("missing", list(SECRETS))
def test_refuses_to_start_without_each_secret(missing):
    present = {k: v for k, v in SECRETS.items() if k != missing}
    result = run_manage("check", **present)
    assert result.returncode != 0
    assert missing in result.stderr
    assert "DEBUG" in result.stderr


def test_refuses_the_development_placeholder():
    result = run_manage(
        "check",
        **{**SECRETS, "SECRET_KEY": "dev-only-insecure-secret-key-do-not-use-in-production"},
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_deploy_check_is_clean_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        ALLOWED_HOSTS="health.example.cn",
        **SECRETS,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("SECRET_KEY", "ID_NUMBER_ENCRYPTION_KEY"),
        ("SECRET_KEY", "ID_NUMBER_INDEX_KEY"),
        ("ID_NUMBER_ENCRYPTION_KEY", "ID_NUMBER_INDEX_KEY"),
    ],
)
def test_refuses_one_value_for_two_secrets(first, second):
    shared = "x" * 48
    result = run_manage("check", **{**SECRETS, first: shared, second: shared})
    assert result.returncode != 0
    assert first in result.stderr
    assert second in result.stderr
    assert "same value" in result.stderr
