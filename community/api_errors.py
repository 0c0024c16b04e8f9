"""One JSON shape for every API error.

Set ``REST_FRAMEWORK["EXCEPTION_HANDLER"] = "community.api_errors.api_exception_handler"``.
Every error body is::

    {"status": 403, "code": "permission_denied", "detail": "<a sentence a person can read>",
     "errors": {"<field>": ["<message>", ...]}}          # "errors" only for 400/409

Django exceptions raised by services and permission checks are translated here, so views stay
thin: ``ValidationError`` -> 400 with field errors (409 when it reports a duplicate, 429 for
``services.RateLimited``), ``PermissionDenied`` -> 403 with its reason, ``Http404`` and
``ObjectDoesNotExist`` -> 404, ``IntegrityError`` -> 409.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from community.services import RateLimited

DUPLICATE_CODES = frozenset({"duplicate", "unique"})


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "That has already been done."
    default_code = "conflict"

    def __init__(self, detail: str | None = None, *, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or {}


class RateLimitedError(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Please slow down and try again shortly."
    default_code = "rate_limited"


class FieldErrors(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, detail: str, *, errors: dict[str, list[str]]) -> None:
        super().__init__(detail)
        self.errors = errors


def _django_errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == NON_FIELD_ERRORS else field): [
                message for error in errors for message in error.messages
            ]
            for field, errors in exc.error_dict.items()
        }
    return {"non_field_errors": list(exc.messages)}


def _codes(exc: ValidationError) -> set[str | None]:
    if hasattr(exc, "error_dict"):
        return {error.code for errors in exc.error_dict.values() for error in errors}
    return {error.code for error in exc.error_list}


def _first(errors: dict[str, list[str]]) -> str:
    for messages in errors.values():
        if messages:
            return messages[0]
    return "The request could not be processed."


def _translate(exc: Exception) -> Exception:
    """Django and database exceptions to DRF exceptions that keep their message."""
    if isinstance(exc, RateLimited):
        return RateLimitedError(" ".join(exc.messages))
    if isinstance(exc, ValidationError):
        errors = _django_errors(exc)
        if _codes(exc) and _codes(exc) <= DUPLICATE_CODES:
            return Conflict(_first(errors), errors=errors)
        return FieldErrors(_first(errors), errors=errors)
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, (Http404, ObjectDoesNotExist)):
        return exceptions.NotFound(str(exc) or None)
    if isinstance(exc, IntegrityError):
        return Conflict("That conflicts with something that already exists; nothing was changed.")
    return exc


def _flatten(detail: Any) -> dict[str, list[str]]:
    """DRF serializer errors ({field: [ErrorDetail]}, or a list) to {field: [str]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for field, value in detail.items():
            if isinstance(value, dict):
                for sub, messages in _flatten(value).items():
                    flat[f"{field}.{sub}"] = messages
            elif isinstance(value, list):
                flat[field] = [str(item) for item in value if not isinstance(item, dict)]
                for index, item in enumerate(value):
                    if isinstance(item, dict):
                        for sub, messages in _flatten(item).items():
                            flat[f"{field}.{index}.{sub}"] = messages
            else:
                flat[field] = [str(value)]
        return flat
    if isinstance(detail, list):
        return {"non_field_errors": [str(item) for item in detail]}
    return {"non_field_errors": [str(detail)]}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = _translate(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django's 500 handling and logging take it
    body: dict[str, Any] = {"status": response.status_code}
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        body.update(code="invalid", detail=_first(errors), errors=errors)
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        body.update(code=getattr(detail, "code", None) or exc.default_code, detail=str(detail))
        if getattr(exc, "errors", None):
            body["errors"] = exc.errors
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            body["retry_after"] = int(exc.wait + 0.999)
    response.data = body
    return response
