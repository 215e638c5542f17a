"""healthaid.cache: Django's Redis backend with one client a pool, on the real Redis."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import redis

from healthaid.cache import RedisCache

ROOT = Path(__file__).resolve().parents[2]
URL = "redis://127.0.0.1:6379/11"


@pytest.fixture
def redis_cache():
    try:
        redis.Redis.from_url(URL).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    backend = RedisCache(URL, {"KEY_PREFIX": "test-cache-backend"})
    backend.clear()
    yield backend
    backend.clear()


def test_one_client_serves_every_operation(redis_cache):
    client = redis_cache._cache.get_client()
    redis_cache.set("a", {"figures": [1, 2]}, 30)
    assert redis_cache.add("b", 5, None)
    assert not redis_cache.add("b", 6, None)
    assert redis_cache.get("a") == {"figures": [1, 2]}
    assert redis_cache.get_many(["a", "b", "c"]) == {"a": {"figures": [1, 2]}, "b": 5}
    assert redis_cache.incr("b") == 6
    redis_cache.delete("a")
    assert redis_cache.get("a") is None
    assert redis_cache._cache.get_client() is client
    assert redis_cache._cache.get_client(write=True) is client  # one server: one pool


def test_threads_share_the_client(redis_cache):
    redis_cache.set("n", 0, None)
    errors = []

    def bump():
        try:
            for _ in range(200):
                redis_cache.incr("n")
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert redis_cache.get("n") == 1600


def test_settings_use_it_for_a_redis_cache_url():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "healthaid.settings",
        "CACHE_URL": URL,
        "DEBUG": "1",
    }
    printed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CACHES['default']['BACKEND'])",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert printed.stdout.strip() == "healthaid.cache.RedisCache"
