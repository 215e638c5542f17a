"""A task travels through the real broker to a real worker process and back.

On the embedded default that is kombu's filesystem transport; in CI's second run it is
Redis and PostgreSQL. The worker is a separate ``celery worker`` process pointed at the
test database, and the result comes back through the django-db result backend.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from healthaid.tasks import echo_task, heartbeat_task

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    auth = user if not db.get("PASSWORD") else f"{user}:{db['PASSWORD']}"
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def worker_process():
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="healthaid.settings_test",
        DATABASE_URL=database_url(),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_TASK_ALWAYS_EAGER="0",
        HEALTHAID_TEST_RUN=settings.TEST_RUN_ID,  # the same filesystem queue as this process
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "healthaid",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_a_real_worker_runs_tasks(worker_process):
    started = time.monotonic()
    result = echo_task.delay({"县": "元谋县", "n": 17365})
    try:
        assert result.get(timeout=90) == {"县": "元谋县", "n": 17365}
        beat = heartbeat_task.delay().get(timeout=30)
    except Exception:
        worker_process.terminate()
        output = worker_process.communicate(timeout=20)[0]
        pytest.fail(f"worker did not answer: {output[-3000:]}")
    assert "at" in beat
    assert time.monotonic() - started < 90

    from django_celery_results.models import TaskResult

    stored = TaskResult.objects.get(task_id=result.id)
    assert stored.status == "SUCCESS"
    assert stored.task_name == "healthaid.echo"
