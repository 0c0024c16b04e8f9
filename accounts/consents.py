"""Versions of the documents a member agrees to at signup.

Bump a version when the document's meaning changes: every acceptance is stored as a
``ConsentRecord`` with the version the member actually saw.
"""

AGE_CONFIRMATION_VERSION = "2026-11"
GUIDELINES_VERSION = "2026-11"
PRIVACY_VERSION = "2026-11"

MINIMUM_AGE = 16
