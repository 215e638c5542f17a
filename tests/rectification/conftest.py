"""Fixtures of the rectification tests: uploads and job files under a temporary directory,
jobs run in the test's process."""

import pytest


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True
