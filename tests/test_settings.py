"""Settings come from the environment: embedded defaults without it, real services with it.

Each case loads the settings in a fresh interpreter with a controlled environment, so the
values the test suite itself runs with cannot leak in.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json
import django
from django.conf import settings
django.setup()
print(json.dumps({
    "debug": settings.DEBUG,
    "db_engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "cache": settings.CACHES["default"]["BACKEND"],
    "channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "broker": settings.CELERY_BROKER_URL,
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "asgi": settings.ASGI_APPLICATION,
}))
"""


def load_settings(module: str, **env: str) -> dict:
    inherited = ("DJANGO_", "DATABASE_", "REDIS_")
    base = {key: value for key, value in os.environ.items() if not key.startswith(inherited)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": module, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_local_settings_embed_everything_a_fresh_checkout_needs():
    loaded = load_settings("config.settings.local")

    assert loaded["debug"] is True
    assert loaded["db_engine"] == "django.db.backends.sqlite3"
    assert loaded["db_name"] == str(ROOT / "db.sqlite3")
    assert loaded["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert loaded["channel_layer"] == "channels.layers.InMemoryChannelLayer"
    assert loaded["broker"] == "memory://"
    assert loaded["eager"] is True
    assert loaded["asgi"] == "config.asgi.application"


def test_database_and_redis_urls_switch_to_postgresql_and_redis():
    loaded = load_settings(
        "config.settings.local",
        DATABASE_URL="postgres://kindred@db.internal:5432/kindred",
        REDIS_URL="redis://cache.internal:6379/2",
    )

    assert loaded["db_engine"] == "django.db.backends.postgresql"
    assert loaded["db_name"] == "kindred"
    assert loaded["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert loaded["channel_layer"] == "channels_redis.core.RedisChannelLayer"
    assert loaded["broker"] == "redis://cache.internal:6379/2"
    assert loaded["eager"] is False


def test_production_never_runs_in_debug_even_if_asked():
    loaded = load_settings(
        "config.settings.production",
        DJANGO_DEBUG="true",
        DJANGO_SECRET_KEY="x" * 64,
        DJANGO_ALLOWED_HOSTS="kindred.example.org",
    )

    assert loaded["debug"] is False
