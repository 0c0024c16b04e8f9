"""Settings shared by every environment, read from the environment through one object.

Embedded defaults (SQLite, local-memory cache, in-memory channel layer, in-process Celery)
make a fresh checkout run with nothing else installed. Setting ``DATABASE_URL`` and
``REDIS_URL`` switches to PostgreSQL and Redis.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-only-key-change-me-0123456789abcdef")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

SITE_NAME = "Kindred"
# The public address, used in links inside emails and SMS (acknowledgement links, digests).
KINDRED_SITE_URL = env("KINDRED_SITE_URL", default="http://localhost:8000")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Kindred's own apps, in dependency order: each may import only those above it.
    "accounts",
    "community",
    "escalation",
    "moderation",
    "outcomes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "moderation.mfa.StaffMFAMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.kindred",
                "community.context_processors.unread_notifications",
                "escalation.context_processors.crisis",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)
# Behind PgBouncer in transaction mode (bench/pgbouncer.sh, docker-compose.yml) a cursor cannot
# outlive its transaction's server connection: set DJANGO_DB_DISABLE_SERVER_SIDE_CURSORS=true.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
    "DJANGO_DB_DISABLE_SERVER_SIDE_CURSORS", default=False
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "landing"
# Where /home/ sends each role. Later apps move a role's home by changing its URL name here.
ROLE_HOME_URL_NAMES = {
    "member": "member_home",
    "guide": "moderation:dashboard",
    "clinician": "escalation:dashboard",
    "commissioner": "commissioner_home",
    "admin": "staff_home",
}

# django-allauth: pseudonym or email to log in; the email is private and only for recovery.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm", "login": "accounts.forms.LoginForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = "pseudonym"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="none")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PRESERVE_USERNAME_CASING = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Guides, clinicians and admins must turn on TOTP before any staff page (moderation.mfa): the
# views use @staff_page, and the middleware covers the prefixes whose views live elsewhere.
MODERATION_STAFF_MFA_REQUIRED = env.bool("KINDRED_STAFF_MFA_REQUIRED", default=True)
STAFF_MFA_PATH_PREFIXES = ("/clinician/", "/django-admin/", "/guide/", "/staff/")
MFA_TOTP_ISSUER = "Kindred"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Redis, when configured, is the cache, the channel layer and the Celery broker. Without it
# everything runs in this one process.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                # One pool per process: Django makes a cache object (and, by default, a pool) per
                # thread/async context, i.e. per request under ASGI (config/redis_pool.py).
                "pool_class": "config.redis_pool.SharedConnectionPool",
                # Named in CLIENT LIST; a shared socket idle for 30 s is checked before reuse.
                "client_name": "kindred-cache",
                "health_check_interval": 30,
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = None
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = False

CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message at a time per worker process: with late acks nothing waits, prefetched, behind a slow task.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Three queues, so a crisis assessment never waits behind a slow gateway or a digest run:
#   triage -- risk assessments and the two safety sweepers: database work only, no outside calls;
#   alerts -- one task per alert delivery (email, SMS gateway, webhook), which can be slow;
#   celery -- the default: digests and everything else.
# Every queue needs a worker that consumes it (docker-compose.yml; `celery_app.unconsumed_queues`
# checks a live deployment). A route to an undeclared queue is refused at publish time
# (create_missing_queues off) rather than stranded where no worker listens.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in ("triage", "alerts", "celery")]
CELERY_TASK_CREATE_MISSING_QUEUES = False
CELERY_TASK_ROUTES = {
    "escalation.assess_post": {"queue": "triage"},
    "escalation.sweep_unscreened": {"queue": "triage"},
    "escalation.run_escalations": {"queue": "triage"},
    "escalation.deliver_alert": {"queue": "alerts"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 300}
CELERY_TIMEZONE = "UTC"
# Safety-critical timers are driven from database state; a lost message is re-driven within a tick.
CELERY_BEAT_SCHEDULE = {
    "escalation-sweep-unscreened": {"task": "escalation.sweep_unscreened", "schedule": 10.0},
    "escalation-run-escalations": {"task": "escalation.run_escalations", "schedule": 10.0},
    "community-send-digests": {"task": "community.send_digests", "schedule": 60.0 * 60 * 24},
    "outcomes-send-retake-invitations": {"task": "outcomes.send_retake_invitations", "schedule": 3600.0},
    "outcomes-redrive-measure-concerns": {"task": "outcomes.redrive_measure_concerns", "schedule": 60.0},
    "outcomes-rollup-nightly": {
        "task": "outcomes.rollup_recent",
        "schedule": crontab(hour=2, minute=30),
        "kwargs": {"days": 2},
    },
    "moderation-release-expired-claims": {"task": "moderation.release_expired_claims", "schedule": 60.0},
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# Django's SMTP connection waits forever by default; a silent mail server must not hang a
# request (password reset, signup) or a worker (digests, alerts).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Kindred <no-reply@kindred.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "community.api_errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kindred API",
    "DESCRIPTION": "Peer support with moderation and crisis escalation.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Forums: limits for new members (accounts younger than COMMUNITY_NEW_MEMBER_DAYS).
COMMUNITY_NEW_MEMBER_DAYS = env.int("COMMUNITY_NEW_MEMBER_DAYS", default=7)
COMMUNITY_NEW_MEMBER_POSTS_PER_MINUTE = env.int("COMMUNITY_NEW_MEMBER_POSTS_PER_MINUTE", default=5)
COMMUNITY_NEW_MEMBER_THREADS_PER_DAY = env.int("COMMUNITY_NEW_MEMBER_THREADS_PER_DAY", default=3)
COMMUNITY_UNANSWERED_AFTER_HOURS = env.int("COMMUNITY_UNANSWERED_AFTER_HOURS", default=12)

# Escalation: the policy for unacknowledged alerts, and where alerts go besides the dashboard.
ESCALATION_POLICY = {
    "T_ACK_SECONDS": env.int("ESCALATION_T_ACK_SECONDS", default=300),
    "LOOPS": env.int("ESCALATION_LOOPS", default=2),
    "T_REACK_SECONDS": env.int("ESCALATION_T_REACK_SECONDS", default=1800),
}
ESCALATION_SMS_BACKEND = env("ESCALATION_SMS_BACKEND", default="")
ESCALATION_SMS_GATEWAY_URL = env("ESCALATION_SMS_GATEWAY_URL", default="")
ESCALATION_SMS_GATEWAY_TOKEN = env("ESCALATION_SMS_GATEWAY_TOKEN", default="")
ESCALATION_WEBHOOK_URL = env("ESCALATION_WEBHOOK_URL", default="")
ESCALATION_WEBHOOK_SECRET = env("ESCALATION_WEBHOOK_SECRET", default="")
ESCALATION_ACK_LINK_MAX_AGE = env.int("ESCALATION_ACK_LINK_MAX_AGE", default=3600)
# The semantic second stage of the full assessment (MiniLM embeddings; needs requirements-semantic.lock).
ESCALATION_SEMANTIC_TRIAGE = env.bool("ESCALATION_SEMANTIC_TRIAGE", default=True)

# Outcomes: extra self-assessment definitions a deployer supplies under their own licence (e.g. SWEMWBS).
KINDRED_EXTRA_MEASURES_DIR = env("KINDRED_EXTRA_MEASURES_DIR", default="")
# Disclosure control for everything a commissioner sees (see outcomes/disclosure.py).
DISCLOSURE_CONTROL = {
    "MIN_COUNT": env.int("DISCLOSURE_MIN_COUNT", default=8),
    "ROUND_TO": env.int("DISCLOSURE_ROUND_TO", default=5),
    "MIN_PERCENTAGE_GROUP": env.int("DISCLOSURE_MIN_PERCENTAGE_GROUP", default=10),
}
OUTCOMES_DASHBOARD_MAX_RANGE_DAYS = env.int("OUTCOMES_DASHBOARD_MAX_RANGE_DAYS", default=731)
# How long a disclosed dashboard report is reused within one rollup generation (0: never).
OUTCOMES_REPORT_CACHE_SECONDS = env.int("OUTCOMES_REPORT_CACHE_SECONDS", default=300)
# Time zone for members without an organisation and for the all-organisations rollups.
OUTCOMES_DEFAULT_TIME_ZONE = env("OUTCOMES_DEFAULT_TIME_ZONE", default="Europe/London")
