"""Test settings: the real settings with a fast hasher and in-memory mail."""

import os

from healthaid.settings import *  # noqa: F403

# One test database and one test queue per test process, so two suites running at once on
# one machine (two terminals, or CI beside a developer) never share a SQLite file or a queue.
# A worker process started by a test inherits its parent's id through the environment.
TEST_RUN_ID = _RUN = os.environ.get("HEALTHAID_TEST_RUN") or str(os.getpid())
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(VAR_DIR / f"test_healthaid_{_RUN}.sqlite3")  # noqa: F405
    }

# Each test process keeps its own cache: cached figures must never leak between runs.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The user's profile is read from the database on every request, as on the first request after
# a change of any profile, region or institution: the pages' pinned query counts are that
# case. tests/healthaid/test_profile_cache.py turns the cache on (healthaid.profiles).
PROFILE_CACHE_SECONDS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}

# Tests that start a real worker must not share a queue with a `make run` worker.
if CELERY_BROKER_URL.startswith("filesystem://"):  # noqa: F405
    _test_broker = VAR_DIR / "test-broker" / _RUN  # noqa: F405
    for _sub in ("queue", "processed", "control"):
        (_test_broker / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_test_broker / "queue"),
        "data_folder_out": str(_test_broker / "queue"),
        "processed_folder": str(_test_broker / "processed"),
        "control_folder": str(_test_broker / "control"),
        "store_processed": False,
    }
