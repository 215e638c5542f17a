"""Django's Redis cache backend, with one client object per connection pool.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache
operation, and redis-py fills each new client's table of some 170 response callbacks: about
50 µs of the web process's time an operation (measured here with redis-py 8.1), several
operations a page. A ``redis.Redis`` is safe to share between threads (each command borrows
a connection from the pool) and its pool reconnects after a fork, so one per pool is kept.
Everything else is Django's own backend (production's ``CACHE_URL``, docker-compose.yml);
``healthaid.settings`` swaps it in for ``redis://`` URLs.
"""

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(write)
            )
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
