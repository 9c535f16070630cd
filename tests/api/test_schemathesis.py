"""Property-based tests of the whole OpenAPI schema with Schemathesis, in-process.

Every operation gets generated requests (a fixed seed, a bounded number of examples) sent as
a signed-in admin, so that admin operations are exercised beyond their 403. Each response
must not be a server error, must carry a documented status code and content type, and its
body must match the documented schema. Separately, every operation whose schema demands a
bearer token must answer 401 without one and with a garbage one.

New endpoints join these tests automatically; nothing here names them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine

from quantdesk.api.app import create_app
from quantdesk.db import models  # noqa: F401  (registers every table on Base.metadata)
from quantdesk.db.base import Base
from quantdesk.marketdata import twelvedata, yahoo
from quantdesk.settings import Settings
from tests.conftest import TEST_SECRET
from tests.fixtures.providers import recorded

EMAIL = "fuzzer@example.com"
PASSWORD = "fuzzer-password-0123"
UNLIMITED = 1_000_000
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# No header, a token that is no JWT, and a scheme that is not Bearer.
BAD_AUTHORIZATIONS = (None, "Bearer not-a-token", "Basic Zm9vOmJhcg==")
FUZZ = settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def _fuzz_settings(directory: Path) -> Settings:
    database = directory / "schemathesis.db"
    engine = create_engine(f"sqlite:///{database.as_posix()}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return Settings(
        env="test",
        var_dir=directory / "var",
        database_url=f"sqlite+aiosqlite:///{database.as_posix()}",
        redis_url=None,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        log_format="console",
        log_level="WARNING",
        twelvedata_api_key="recorded-responses-need-no-real-key",  # type: ignore[arg-type]
        # Generated logins must not lock the test user out.
        login_attempts_per_address=UNLIMITED,
        login_attempts_per_account=UNLIMITED,
    )


def _sign_in(schema: Any, database: Path) -> str:
    """Register through the API, promote to admin, and log in through the API."""
    register = schema["/api/v1/auth/register"]["POST"].Case(
        body={"email": EMAIL, "password": PASSWORD}, media_type="application/json"
    )
    assert register.call().status_code == 201
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE users SET role = 'admin' WHERE email = ?", (EMAIL,))
    login = schema["/api/v1/auth/login"]["POST"].Case(
        body={"username": EMAIL, "password": PASSWORD},
        media_type="application/x-www-form-urlencoded",
    )
    response = login.call()
    assert response.status_code == 200
    return str(response.json()["access_token"])


@pytest.fixture(scope="module", autouse=True)
def vendors() -> Any:
    """Data vendors answer from recordings: fuzzing must not depend on the network."""
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host=httpx.URL(yahoo.BASE_URL).host).respond(
            json=recorded("yahoo_chart_aapl_1d.json")
        )
        mock.route(host=httpx.URL(twelvedata.BASE_URL).host).respond(
            json=recorded("twelvedata_time_series_aapl_1day.json")
        )
        yield mock


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str]:
    """The app's schema loaded through ASGI, and a bearer token for an admin."""
    directory = tmp_path_factory.mktemp("schemathesis")
    loaded = schemathesis.openapi.from_asgi("/openapi.json", create_app(_fuzz_settings(directory)))
    return loaded, _sign_in(loaded, directory / "schemathesis.db")


@pytest.fixture(scope="module")
def api_schema(api: tuple[Any, str]) -> Any:
    return api[0]


@pytest.fixture(scope="module")
def token(api: tuple[Any, str]) -> str:
    return api[1]


def _requires_token(operation: APIOperation) -> bool:
    return any(
        "OAuth2PasswordBearer" in item for item in operation.definition.raw.get("security", [])
    )


def _takes_input(operation: APIOperation) -> bool:
    return bool(
        operation.definition.raw.get("parameters") or operation.definition.raw.get("requestBody")
    )


def _operations(schema: Any) -> list[APIOperation]:
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz(operation: APIOperation, token: str, mode: GenerationMode) -> None:
    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Case) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    try:
        check()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        # Every value the schema allows is valid (a free-text path segment): nothing to negate.


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_operation_generated_requests_match_documented_responses(
    api_schema: Any, token: str, mode: GenerationMode, subtests: pytest.Subtests
) -> None:
    for operation in _operations(api_schema):
        if mode is GenerationMode.NEGATIVE and not _takes_input(operation):
            continue  # nothing in the request to make invalid
        with subtests.test(msg=operation.label):
            _fuzz(operation, token, mode)


def _refuses_bad_tokens(operation: APIOperation) -> None:
    @settings(FUZZ, max_examples=3)
    @given(case=operation.as_strategy())
    def check(case: Case) -> None:
        for authorization in BAD_AUTHORIZATIONS:
            headers = {
                k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"
            }
            if authorization is not None:
                headers["Authorization"] = authorization
            case.headers = headers
            response = case.call()
            where = f"{operation.label} with authorization {authorization!r}"
            assert response.status_code == 401, f"{where} answered {response.status_code}"
            assert response.headers.get("www-authenticate") == ["Bearer"], where

    check()


def test_protected_operation_without_valid_token_answers_401(
    api_schema: Any, subtests: pytest.Subtests
) -> None:
    protected = [operation for operation in _operations(api_schema) if _requires_token(operation)]
    assert len(protected) >= 1
    for operation in protected:
        with subtests.test(msg=operation.label):
            _refuses_bad_tokens(operation)


def test_schema_marks_protected_operations(api_schema: Any) -> None:
    secured = {op.label for op in _operations(api_schema) if _requires_token(op)}
    assert "GET /api/v1/users/me" in secured
    assert "POST /api/v1/auth/login" not in secured
