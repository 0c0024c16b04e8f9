"""Settings for the test suite.

``DATABASE_URL`` and ``REDIS_URL`` point the suite at the real PostgreSQL and Redis (CI always
sets them); without them it runs on SQLite and in-process equivalents.
"""

from config.settings.base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ACCOUNT_RATE_LIMITS = False
# Serve static files straight from the app folders: the suite never runs collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Tests read posts with the rules alone (deterministic); tests of the semantic stage switch it on.
ESCALATION_SEMANTIC_TRIAGE = False
# Tests write rollup rows directly, without the rollup run that would name a new generation, so
# a cached report could outlive them; the tests of the cache switch it on.
OUTCOMES_REPORT_CACHE_SECONDS = 0
