"""Production settings: secrets from the environment with no defaults, HTTPS everywhere."""

from config.settings.base import *  # noqa: F403
from config.settings.base import REDIS_URL, env

DEBUG = False
# No default: a missing key stops the process at start with a message naming the variable.
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# 0: under an ASGI server sync views run in a thread pool, and persistent connections pile up
# past PostgreSQL's max_connections under load (bench/RESULTS.md). Put PgBouncer in front to pool.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)  # noqa: F405

# Sessions are read from Redis and written through to the database, so a page view does not
# query the session table. Only with Redis: a per-process cache would go on accepting a session
# that a logout in another worker process has ended.
if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
