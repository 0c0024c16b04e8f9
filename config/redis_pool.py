"""One Redis connection pool per process, shared by every cache object.

Django's ``RedisCache`` keeps its connection pool on the cache object, and the cache handler
makes one cache object per thread / async context. Under ASGI each request's sync code runs in
a fresh thread, so every request built a new pool and opened a new socket, which stayed open
until the garbage collector found the old cache object (bench/RESULTS.md: about 50 Redis
sockets per uvicorn worker). Wired in through ``CACHES["default"]["OPTIONS"]["pool_class"]``,
:class:`SharedConnectionPool` hands every cache object in the process the same pool for the same
URL and options, so the sockets are reused and bounded by how many threads use Redis at once.

Fork safety: a forked child (Celery prefork, a pre-forking server) must never use its parent's
sockets. The registry is emptied in the child right after ``os.fork()`` and also checked against
the process id, so a child builds its own pools on first use; redis-py itself also resets a pool
that notices it crossed a fork.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Hashable
from typing import Any

import redis


def _freeze(value: Any) -> Hashable:
    """A hashable stand-in for an option value (dicts and lists become sorted tuples)."""
    if isinstance(value, dict):
        return tuple(sorted((str(key), _freeze(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple, set, frozenset)):
        frozen = tuple(_freeze(item) for item in value)
        return tuple(sorted(frozen, key=repr)) if isinstance(value, (set, frozenset)) else frozen
    try:
        hash(value)
    except TypeError:
        return ("unhashable", type(value).__qualname__, repr(value))
    return value


class SharedConnectionPool(redis.ConnectionPool):
    """A ``redis.ConnectionPool`` whose ``from_url`` returns one pool per process per URL + options."""

    _registry: dict[Hashable, SharedConnectionPool] = {}
    _registry_lock = threading.Lock()
    _registry_pid = os.getpid()

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> SharedConnectionPool:
        key = (cls, url, _freeze(kwargs))
        cls._forget_parent_pools()
        pool = SharedConnectionPool._registry.get(key)
        if pool is not None:
            return pool
        with SharedConnectionPool._registry_lock:
            pool = SharedConnectionPool._registry.get(key)
            if pool is None:
                # from_url updates the dict it is given; keep the caller's options untouched.
                pool = super().from_url(url, **dict(kwargs))
                SharedConnectionPool._registry[key] = pool
            return pool

    @staticmethod
    def _forget_parent_pools() -> None:
        """In a process that was forked without the at-fork hook running, start afresh."""
        if SharedConnectionPool._registry_pid != os.getpid():
            _reset_after_fork()

    @classmethod
    def shared_pools(cls) -> list[SharedConnectionPool]:
        """The pools this process holds (for diagnostics and tests)."""
        return list(SharedConnectionPool._registry.values())


def _reset_after_fork() -> None:
    # The parent's lock may have been held by another thread at the moment of the fork; a new
    # lock and an empty registry mean the child never touches the parent's pools or sockets.
    SharedConnectionPool._registry_lock = threading.Lock()
    SharedConnectionPool._registry = {}
    SharedConnectionPool._registry_pid = os.getpid()


os.register_at_fork(after_in_child=_reset_after_fork)
