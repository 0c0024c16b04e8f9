"""The Celery application.

Without ``REDIS_URL`` the settings make every task run eagerly, in-process, so the demo and
the test suite need no broker; with it, a real worker consumes from Redis.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("kindred")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
