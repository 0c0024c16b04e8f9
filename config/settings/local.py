"""The demo and development settings: embedded defaults, debug on."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# The demo prints SMS alerts to the console instead of sending them.
ESCALATION_SMS_BACKEND = env("ESCALATION_SMS_BACKEND", default="escalation.sms.ConsoleBackend")
