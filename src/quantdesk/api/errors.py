"""One JSON error shape for every failure: ``{"error": {"code", "message", "details"}}``.

``QuantDeskError`` classes map to status codes in one table; nothing else in the API
decides a status for an error. Unexpected exceptions are logged with their trace and
answered with a generic 500 that leaks neither the trace nor any SQL.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from quantdesk import errors

logger = structlog.get_logger(__name__)

STATUS_BY_ERROR: dict[type[errors.QuantDeskError], int] = {
    errors.ValidationError: 422,
    errors.AuthenticationError: 401,
    errors.PermissionDeniedError: 403,
    errors.NotFoundError: 404,
    errors.ConflictError: 409,
    errors.RateLimitedError: 429,
    errors.UnavailableError: 503,
    errors.ConfigurationError: 500,
}

CODE_BY_STATUS = {
    400: "bad_request",
    401: "authentication_failed",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """The body of every error response."""

    error: ErrorBody


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status, headers=headers)


def status_for(error: errors.QuantDeskError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.QuantDeskError)
    headers: dict[str, str] = {}
    if isinstance(exc, errors.RateLimitedError):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, errors.AuthenticationError):
        headers["WWW-Authenticate"] = "Bearer"
    return error_response(status_for(exc), exc.code, exc.message, exc.details, headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {
            "field": ".".join(str(part) for part in item["loc"]),
            "message": item["msg"],
            "type": item["type"],
        }
        for item in exc.errors()
    ]
    fields = ", ".join(detail["field"] for detail in details[:5])
    return error_response(422, "validation_error", f"Invalid request: {fields}", details)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        return _undecodable_body()
    code = CODE_BY_STATUS.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else "Request failed"
    headers = dict(exc.headers) if exc.headers else None
    return error_response(exc.status_code, code, message, headers=headers)


def _undecodable_body() -> JSONResponse:
    # Bytes that are not UTF-8 are as malformed as bad JSON, so they answer the same way.
    detail = {"field": "body", "message": "Body is not UTF-8 encoded JSON", "type": "json_invalid"}
    return error_response(
        422, "validation_error", "Invalid request: body; send UTF-8 encoded JSON", [detail]
    )


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """Log an unhandled exception with its trace and answer a 500 that reveals nothing of it.

    The request middleware calls this too, so the 500 still carries the request id.
    """
    logger.error(
        "unhandled_error",
        path=request.url.path,
        error_type=type(exc).__name__,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return error_response(
        500,
        "internal_error",
        "An unexpected error occurred; quote the X-Request-ID response header when reporting it",
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.QuantDeskError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, unexpected_error)


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error statuses an operation can return."""
    return {status: {"model": ErrorResponse} for status in statuses}
