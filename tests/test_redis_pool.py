"""One Redis connection pool per process for the cache (config/redis_pool.py).

Django's cache handler makes a cache object per thread / async context, and ``RedisCache`` keeps
its pool on that object, so under ASGI (a fresh thread per request) each request opened its own
Redis socket. These tests build caches exactly as Django does (a ``CacheHandler`` with the
production OPTIONS), run many "requests" from many threads and from async code, and count the
sockets on the real Redis with ``CLIENT LIST``, filtered by a client name unique to the test.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import uuid

import pytest
import redis
from asgiref.sync import ThreadSensitiveContext, async_to_sync, sync_to_async
from django.conf import settings
from django.core.cache import CacheHandler, caches

from config.redis_pool import SharedConnectionPool

REDIS_URL = os.environ.get("REDIS_URL", "")

CONCURRENCY = 8
ROUNDS = 25  # 200 "requests", each in a fresh thread, at most CONCURRENCY at a time


def cache_handler(client_name: str, pool_class: str = "config.redis_pool.SharedConnectionPool"):
    """A cache handler like ``django.core.cache.caches``, with the production OPTIONS."""
    options = {**settings.CACHES["default"].get("OPTIONS", {})} if REDIS_URL else {}
    options.update(pool_class=pool_class, client_name=client_name, health_check_interval=30)
    return CacheHandler(
        {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL or "redis://127.0.0.1:6379/0",
                "KEY_PREFIX": client_name,
                "OPTIONS": options,
            }
        }
    )


def clients_named(name: str) -> int:
    with redis.Redis.from_url(REDIS_URL) as admin:
        return sum(1 for client in admin.client_list() if client.get("name") == name)


def request_work(handler: CacheHandler, pools: list, number: int) -> None:
    """What a page view does with the cache: a few reads and writes on this context's cache."""
    cache = handler["default"]
    cache.set(f"page:{number}", {"n": number}, 30)
    assert cache.get(f"page:{number}") == {"n": number}
    cache.get_many([f"page:{number}", "missing"])
    if not cache.add("hits", 1, 30):
        cache.incr("hits")
    pools.append(cache._cache._get_connection_pool(write=True))


def run_threaded_requests(handler: CacheHandler, pools: list) -> None:
    number = 0
    for _ in range(ROUNDS):
        threads = []
        for _ in range(CONCURRENCY):
            number += 1
            threads.append(threading.Thread(target=request_work, args=(handler, pools, number)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(pools) == ROUNDS * CONCURRENCY, "a request thread failed"


@pytest.fixture
def client_name():
    name = f"kindred-test-{uuid.uuid4().hex[:12]}"
    yield name
    for pool in SharedConnectionPool.shared_pools():
        if pool.connection_kwargs.get("client_name") == name:
            pool.disconnect()


# -- The registry itself (no Redis needed: building a pool does not connect) --------------------


def test_same_url_and_options_give_one_pool_per_process():
    url = "redis://127.0.0.1:6379/14"
    options = {"client_name": "kindred-registry", "health_check_interval": 30}

    first = SharedConnectionPool.from_url(url, **options)

    assert SharedConnectionPool.from_url(url, **dict(options)) is first
    assert SharedConnectionPool.from_url(url, client_name="kindred-other") is not first
    assert SharedConnectionPool.from_url("redis://127.0.0.1:6379/13", **options) is not first
    assert first.connection_kwargs["db"] == 14
    assert options == {"client_name": "kindred-registry", "health_check_interval": 30}


def test_threads_racing_for_a_pool_all_get_the_same_one():
    url = f"redis://127.0.0.1:6379/14?client_name=race-{uuid.uuid4().hex[:8]}"
    barrier = threading.Barrier(16)
    found = []

    def take():
        barrier.wait()
        found.append(SharedConnectionPool.from_url(url, health_check_interval=30))

    threads = [threading.Thread(target=take) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(found) == 16
    assert len({id(pool) for pool in found}) == 1


def test_unhashable_options_still_find_their_pool():
    url = "redis://127.0.0.1:6379/14"
    keepalive = {"socket_keepalive_options": {1: 30}}

    assert SharedConnectionPool.from_url(url, **keepalive) is SharedConnectionPool.from_url(
        url, socket_keepalive_options={1: 30}
    )
    assert SharedConnectionPool.from_url(url, **keepalive) is not SharedConnectionPool.from_url(
        url, socket_keepalive_options={1: 60}
    )


# -- Against the real Redis ---------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (redis://127.0.0.1:6379/<n>)")
def test_the_suites_redis_cache_uses_the_shared_pool():
    assert settings.CACHES["default"]["OPTIONS"]["pool_class"] == "config.redis_pool.SharedConnectionPool"

    def pool_in_a_fresh_thread():
        found.append(caches["default"]._cache._get_connection_pool(write=True))

    found = []
    for _ in range(3):
        thread = threading.Thread(target=pool_in_a_fresh_thread)
        thread.start()
        thread.join()

    assert isinstance(found[0], SharedConnectionPool)
    assert found[0] is found[1] is found[2]


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (redis://127.0.0.1:6379/<n>)")
def test_many_threads_share_a_bounded_number_of_connections(client_name):
    handler = cache_handler(client_name)
    pools: list = []

    run_threaded_requests(handler, pools)

    assert len({id(pool) for pool in pools}) == 1
    assert pools[0]._created_connections <= CONCURRENCY
    assert 1 <= clients_named(client_name) <= CONCURRENCY


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (redis://127.0.0.1:6379/<n>)")
def test_djangos_default_pool_opens_a_connection_per_request_thread(client_name):
    """The leak the shared pool fixes, measured the same way (the cache objects are kept, as
    they are until the garbage collector finds them)."""
    handler = cache_handler(client_name, pool_class="redis.ConnectionPool")
    pools: list = []
    try:
        run_threaded_requests(handler, pools)

        assert len({id(pool) for pool in pools}) == ROUNDS * CONCURRENCY
        assert clients_named(client_name) > 4 * CONCURRENCY
    finally:
        for pool in pools:
            pool.disconnect()


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (redis://127.0.0.1:6379/<n>)")
def test_async_requests_like_asgi_share_a_bounded_number_of_connections(client_name):
    """As Django's ASGI handler runs a request: sync code in the request's own thread
    (``ThreadSensitiveContext``), async cache calls in between."""
    handler = cache_handler(client_name)
    pools: list = []

    async def one_request(number: int) -> None:
        async with ThreadSensitiveContext():
            await sync_to_async(request_work, thread_sensitive=True)(handler, pools, number)
            cache = handler["default"]
            await cache.aset(f"async:{number}", number, 30)
            assert await cache.aget(f"async:{number}") == number

    async def serve() -> None:
        for round_number in range(ROUNDS):
            await asyncio.gather(*(one_request(round_number * CONCURRENCY + n) for n in range(CONCURRENCY)))

    async_to_sync(serve)()

    assert len(pools) == ROUNDS * CONCURRENCY
    assert len({id(pool) for pool in pools}) == 1
    # Request threads plus the thread pool that runs the a*() calls.
    bound = 2 * CONCURRENCY
    assert pools[0]._created_connections <= bound
    assert 1 <= clients_named(client_name) <= bound


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (redis://127.0.0.1:6379/<n>)")
def test_a_forked_child_gets_its_own_pool_and_connection(client_name):
    handler = cache_handler(client_name)
    cache = handler["default"]
    cache.set("fork:parent", "before", 30)
    parent_pool = cache._cache._get_connection_pool(write=True)
    parent_client_id = cache._cache.get_client(write=True).client_id()

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave without running pytest's teardown
        report = {}
        try:
            os.close(read_end)
            pool = SharedConnectionPool.from_url(REDIS_URL, **parent_pool_options(handler))
            fresh = []
            thread = threading.Thread(target=lambda: fresh.append(handler["default"]))
            thread.start()
            thread.join()
            child_cache = fresh[0]
            child_cache.set("fork:child", os.getpid(), 30)
            report = {
                "new_pool": pool is not parent_pool,
                "pool_pid": pool.pid,
                "pid": os.getpid(),
                "cache_uses_it": child_cache._cache._get_connection_pool(write=True) is pool,
                "client_id": child_cache._cache.get_client(write=True).client_id(),
                "reads_parent_value": child_cache.get("fork:parent"),
            }
        except Exception as error:  # reported to the parent, which fails the test
            report = {"error": repr(error)}
        finally:
            os.write(write_end, json.dumps(report).encode())
            os._exit(0)

    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        report = json.loads(pipe.read() or "{}")
    os.waitpid(pid, 0)

    assert "error" not in report, report
    assert report["new_pool"] is True
    assert report["pool_pid"] == report["pid"] == pid
    assert report["cache_uses_it"] is True
    assert report["client_id"] != parent_client_id
    assert report["reads_parent_value"] == "before"
    # The parent's pool and socket were left alone and still work.
    assert cache._cache._get_connection_pool(write=True) is parent_pool
    assert cache._cache.get_client(write=True).client_id() == parent_client_id
    assert cache.get("fork:child") == pid
    assert cache.get("fork:parent") == "before"


def parent_pool_options(handler: CacheHandler) -> dict:
    """The options Django passes to ``from_url`` for this handler's cache."""
    return dict(handler["default"]._cache._pool_options)
