"""What the vendor clients share: one httpx client, retries, a circuit breaker, error mapping.

Each vendor module supplies a ``parse`` function that turns a response into bars or raises;
this module decides what is transient (timeouts, connection errors, 5xx, 429) and turns the
last transient failure into the error the caller acts on: ``RateLimitedError`` with the
vendor's wait, or ``UnavailableError``. Credentials travel in headers, never in the URL, so
httpx's own request log lines and our error messages cannot carry them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

import httpx
import structlog

from quantdesk.errors import (
    NotFoundError,
    QuantDeskError,
    RateLimitedError,
    UnavailableError,
)
from quantdesk.resilience import CircuitBreaker, RetryPolicy, TransientError, retry

T = TypeVar("T")
USER_AGENT = "Mozilla/5.0 (compatible; QuantDesk/0.1; +https://github.com/quantdesk)"
DEFAULT_RATE_LIMIT_WAIT = 60

logger = structlog.get_logger(__name__)


class UnknownSymbolError(NotFoundError):
    """The vendor does not know the symbol; the caller should check how the vendor spells it."""

    code = "unknown_symbol"

    def __init__(self, provider: str, symbol: str, hint: str) -> None:
        QuantDeskError.__init__(
            self,
            f"{provider} has no symbol {symbol!r}; {hint}",
            details={"resource": "symbol", "provider": provider, "symbol": symbol},
        )


class VendorClient:
    """An ``httpx.AsyncClient`` for one vendor, behind retries and a circuit breaker."""

    def __init__(
        self,
        name: str,
        *,
        base_url: str,
        timeout_seconds: float,
        policy: RetryPolicy,
        breaker: CircuitBreaker,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.policy = policy
        self.breaker = breaker
        self._timeout = timeout_seconds
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout_seconds,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
        )

    async def get(
        self,
        path: str,
        params: Mapping[str, str | int],
        parse: Callable[[httpx.Response], T],
        *,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        """GET ``path`` and parse the answer, retrying transient failures.

        Raises:
            RateLimitedError: The vendor's rate limit holds beyond what we wait for.
            UnavailableError: The vendor kept failing, or its circuit breaker is open.
        """

        async def attempt() -> T:
            return parse(await self._send(path, params, headers))

        try:
            return await self.breaker.call(lambda: retry(attempt, self.policy))
        except TransientError as error:
            raise self._final_error(error) from None

    async def _send(
        self, path: str, params: Mapping[str, str | int], headers: Mapping[str, str] | None
    ) -> httpx.Response:
        try:
            response = await self._client.get(path, params=dict(params), headers=headers)
        except httpx.TimeoutException:
            raise TransientError(f"timed out after {self._timeout:g} s") from None
        except httpx.TransportError as error:
            raise TransientError(f"unreachable ({type(error).__name__})") from None
        if response.status_code == httpx.codes.TOO_MANY_REQUESTS:
            raise rate_limited(retry_after_seconds(response.headers.get("Retry-After")))
        if response.status_code >= httpx.codes.INTERNAL_SERVER_ERROR:
            raise TransientError(f"answered HTTP {response.status_code}")
        return response

    def _final_error(self, error: TransientError) -> QuantDeskError:
        logger.warning(
            "provider_request_failed",
            provider=self.name,
            reason=str(error),
            rate_limited=error.rate_limited,
        )
        if error.rate_limited:
            wait = math.ceil(error.retry_after or DEFAULT_RATE_LIMIT_WAIT)
            return RateLimitedError(
                f"{self.name} rate limit reached; retry after {wait} s or lower the request rate",
                retry_after=wait,
            )
        return UnavailableError(
            f"{self.name} is unavailable ({error}) after {self.policy.max_retries + 1} "
            "attempt(s); retry later"
        )

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()


def rate_limited(retry_after: float | None) -> TransientError:
    """The transient error for a vendor's rate limit, carrying its wait when it gave one."""
    return TransientError("rate limited", retry_after=retry_after, rate_limited=True)


def retry_after_seconds(value: str | None) -> float | None:
    """Parse a ``Retry-After`` header: seconds, or an HTTP date; None when absent or odd."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((moment - datetime.now(UTC)).total_seconds(), 0.0)


def json_body(provider: str, response: httpx.Response) -> object:
    """The decoded JSON body; a vendor answering with something else is unavailable."""
    try:
        return response.json()
    except ValueError:
        raise UnavailableError(
            f"{provider} answered HTTP {response.status_code} with a body that is not JSON; "
            "retry later"
        ) from None
