"""The demo and development settings: embedded defaults, debug on."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# The demo prints SMS alerts to the console instead of sending them.
ESCALATION_SMS_BACKEND = env("ESCALATION_SMS_BACKEND", default="escalation.sms.ConsoleBackend")
# The demo's staff accounts would each need an authenticator app before seeing a staff page;
# the demo turns the requirement off so a newcomer can look around. Production keeps it on.
MODERATION_STAFF_MFA_REQUIRED = env.bool("KINDRED_STAFF_MFA_REQUIRED", default=False)
# The demo runs on the light install: the semantic stage (torch) is opt-in here.
ESCALATION_SEMANTIC_TRIAGE = env.bool("ESCALATION_SEMANTIC_TRIAGE", default=False)
