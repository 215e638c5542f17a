"""Write ``var/local.env``: the settings ``make run`` starts the portal with.

``make run`` runs as production does (``DEBUG=0``: the portal's own error pages, hashed
static files collected and served by WhiteNoise), so what a user sees locally is what the
county will see. Production refuses to start without real secrets, so the first run makes
its own, random, kept in ``var/`` beside the database they protect, and never shown. The
local server speaks plain http on 127.0.0.1, so HTTPS redirects, HSTS and secure-only
cookies are off there (and only there).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from healthaid.models import Region

SECRET_NAMES = ("SECRET_KEY", "ID_NUMBER_ENCRYPTION_KEY", "ID_NUMBER_INDEX_KEY")
LOCAL_SETTINGS = {
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_HSTS_SECONDS": "0",
    "SECURE_COOKIES": "0",
}


def local_env_path() -> Path:
    return Path(settings.VAR_DIR) / "local.env"


def _has_data() -> bool:
    try:
        return Region.objects.exists()
    except DatabaseError:  # not migrated yet
        return False


class Command(BaseCommand):
    help = "Create var/local.env (random secrets, DEBUG=0 over local http) for `make run`."

    def handle(self, *args, **options):
        path = local_env_path()
        if path.exists():
            self.stdout.write(f"{path} exists; kept.")
            return
        if _has_data():
            # Its ID numbers were encrypted with the development keys, which DEBUG=0 refuses.
            raise CommandError(
                "The database already holds data made with the development keys (DEBUG=1), "
                "which `make run` no longer uses. Start afresh: `make clean` (SQLite under "
                "var/) or drop the PostgreSQL database, then `make run` again."
            )
        lines = [
            "# Written by `manage.py local_env` for `make run`; keep it private (it holds the",
            "# keys of the ID numbers in this database). Delete var/ to start afresh.",
        ]
        lines += [f"{name}={secrets.token_urlsafe(48)}" for name in SECRET_NAMES]
        lines += [f"{name}={value}" for name, value in LOCAL_SETTINGS.items()]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {path} (new random secrets)."))
