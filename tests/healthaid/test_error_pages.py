"""The portal's own error pages, and the production-shaped local run (``make run``).

With ``DEBUG=0`` and the static files collected, as ``make run`` and the production
start-up do, a page answers 200 with hashed static URLs and an unknown URL the Chinese 404;
a server error renders the Chinese 500 page without a request context.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import RequestFactory, override_settings
from django.urls import path

from healthaid import errors
from tests.healthaid.test_production_settings import ROOT, SECRETS

PROBE = textwrap.dedent(
    """
    import django
    django.setup()
    from django.test import Client
    client = Client(raise_request_exception=False)
    page = client.get("/accounts/login/")
    missing = client.get("/no-such-page/")
    css_url = page.content.decode().split('rel="stylesheet" href="')[1].split('"')[0]
    css = client.get(css_url)
    print(page.status_code, missing.status_code, css.status_code)
    print(css_url)
    print(missing.content.decode())
    """
)


def test_debug_off_with_collected_static_serves_pages_and_a_chinese_404(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in SECRETS and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(
        SECRETS,
        DJANGO_SETTINGS_MODULE="healthaid.settings",
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        HEALTHAID_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert collect.returncode == 0, collect.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    codes, css_url, body = probe.stdout.split("\n", 2)
    assert codes.split() == ["200", "404", "200"]
    # The manifest's hashed name: WhiteNoise serves it with a far-future cache header.
    assert css_url.startswith("/static/vendor/bootstrap/bootstrap.min.") and css_url.count(".") == 3
    assert "页面不存在（404）" in body and "Traceback" not in body and "Django" not in body


class _Boom(Exception):
    pass


def _boom(request):
    raise _Boom("broken")


urlpatterns = [path("boom/", _boom)]
handler500 = "healthaid.errors.server_error"


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_a_server_error_renders_the_chinese_500_page(client):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "服务器内部错误（500）" in body and "broken" not in body


def test_the_500_page_needs_no_request_context():
    response = errors.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "服务器内部错误（500）" in response.content.decode()


@pytest.mark.django_db
def test_403_and_400_pages_are_chinese(client, users):
    client.force_login(users.supervisor)
    forbidden = client.get("/audit/")
    assert forbidden.status_code == 403
    assert "无权访问（403）" in forbidden.content.decode()
    bad = errors.bad_request(RequestFactory().get("/"))
    assert bad.status_code == 400 and "请求有误（400）" in bad.content.decode()


@pytest.mark.django_db
def test_local_env_writes_its_own_secrets_once(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    call_command("local_env")
    written = dict(
        line.split("=", 1)
        for line in (tmp_path / "local.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    secrets = [written[name] for name in SECRETS]
    assert len(set(secrets)) == 3 and all(len(value) >= 32 for value in secrets)
    assert written["DEBUG"] == "0" and written["SECURE_COOKIES"] == "0"
    assert oct((tmp_path / "local.env").stat().st_mode & 0o777) == "0o600"
    call_command("local_env")  # kept: the data in the database depends on these keys
    assert (tmp_path / "local.env").read_text().count(secrets[0]) == 1


def test_local_env_refuses_a_database_made_with_the_development_keys(tmp_path, settings, tree):
    settings.VAR_DIR = tmp_path
    with pytest.raises(CommandError, match="make clean"):
        call_command("local_env")
    assert not Path(tmp_path / "local.env").exists()
