"""One error tree for the whole of QuantDesk.

Errors are ordered by what the caller should do about them: fix the input, authenticate,
look elsewhere, wait and retry. Each carries a stable machine-readable ``code``; the HTTP
layer maps classes to status codes in one table and never the other way round.
"""

from __future__ import annotations

from typing import Any


class QuantDeskError(Exception):
    """Base of every error QuantDesk raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ConfigurationError(QuantDeskError):
    """A setting is missing or invalid; the operator must fix it before start-up."""

    code = "configuration_error"


class ValidationError(QuantDeskError):
    """The input is malformed; the caller must change it."""

    code = "validation_error"


class AuthenticationError(QuantDeskError):
    """Credentials are missing, wrong, expired or revoked."""

    code = "authentication_failed"


class PermissionDeniedError(QuantDeskError):
    """The caller is known but may not do this."""

    code = "permission_denied"


class NotFoundError(QuantDeskError):
    """The resource does not exist, or is not the caller's to see."""

    code = "not_found"

    def __init__(self, resource: str, identifier: object | None = None) -> None:
        suffix = f" {identifier}" if identifier is not None else ""
        super().__init__(f"{resource}{suffix} was not found", details={"resource": resource})


class ConflictError(QuantDeskError):
    """The request clashes with the current state (a duplicate name, a used token)."""

    code = "conflict"


class RateLimitedError(QuantDeskError):
    """Too many attempts; retry after ``retry_after`` seconds."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


class UnavailableError(QuantDeskError):
    """A dependency (database, cache, broker) cannot be reached; retry later."""

    code = "service_unavailable"
