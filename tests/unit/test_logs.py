import json
import logging
from logging.handlers import TimedRotatingFileHandler
from pathlib import Path
from typing import Any

import pytest
import structlog

from quantdesk.logs import REDACTED, configure_logging, redact_secrets
from quantdesk.settings import Settings
from tests.fixtures.apps import log_lines


@pytest.fixture
def log_settings(tmp_path: Path) -> Settings:
    return Settings(env="test", var_dir=tmp_path / "var", log_format="json")


def redact(**event: Any) -> dict[str, Any]:
    return dict(redact_secrets(None, "info", {"event": "e", **event}))


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "new_password",
        "access_token",
        "refresh-token",
        "secret_key",
        "Authorization",
        "cookie",
        "api_key",
        "broker_credentials",
    ],
)
def test_redact_secret_looking_key_hides_value(key: str) -> None:
    assert redact(**{key: "s3cr3t"})[key] == REDACTED


def test_redact_nested_keys_hidden_at_any_depth() -> None:
    event = redact(request={"headers": {"authorization": "Bearer abc"}, "items": [{"token": "t"}]})
    assert event["request"] == {
        "headers": {"authorization": REDACTED},
        "items": [{"token": REDACTED}],
    }


def test_redact_url_password_hidden_user_and_host_kept() -> None:
    event = redact(url="postgresql+asyncpg://trader:pa55word@db.internal:5432/quantdesk")
    assert event["url"] == f"postgresql+asyncpg://trader:{REDACTED}@db.internal:5432/quantdesk"


def test_redact_ordinary_values_untouched() -> None:
    event = redact(user_id=7, email="a@b.c", path="/api/v1/users/7", url="https://example.com/x")
    assert event == {
        "event": "e",
        "user_id": 7,
        "email": "a@b.c",
        "path": "/api/v1/users/7",
        "url": "https://example.com/x",
    }


def test_log_file_written_as_json_lines(log_settings: Settings) -> None:
    configure_logging(log_settings)
    structlog.get_logger("tests.logs").info("order_filled", order_id=3, price=101.5)
    path = log_settings.var_dir / "logs" / "quantdesk.log"
    line = json.loads(path.read_text(encoding="utf-8").splitlines()[-1])
    assert line["event"] == "order_filled"
    assert line["order_id"] == 3
    assert line["level"] == "info"
    assert line["logger"] == "tests.logs"
    assert line["timestamp"].endswith("Z")


def test_log_configured_twice_writes_each_line_once(log_settings: Settings) -> None:
    configure_logging(log_settings)
    configure_logging(log_settings)
    structlog.get_logger("tests.logs").info("only_once")
    assert [line["event"] for line in log_lines(log_settings)].count("only_once") == 1


def test_log_stdlib_and_uvicorn_records_become_json(log_settings: Settings) -> None:
    configure_logging(log_settings)
    logging.getLogger("uvicorn.error").warning("Started server process [%d]", 1234)
    line = log_lines(log_settings)[-1]
    assert line["event"] == "Started server process [1234]"
    assert line["logger"] == "uvicorn.error"
    assert line["level"] == "warning"


def test_log_below_configured_level_dropped(log_settings: Settings) -> None:
    configure_logging(log_settings)
    logger = structlog.get_logger("tests.logs")
    logger.debug("too_chatty")
    logger.warning("worth_saying")
    events = [line["event"] for line in log_lines(log_settings)]
    assert "too_chatty" not in events
    assert "worth_saying" in events


def test_log_exception_trace_redacts_url_password(log_settings: Settings) -> None:
    configure_logging(log_settings)
    try:
        raise ConnectionError("cannot reach redis://:hunter2@cache:6379/0")
    except ConnectionError:
        structlog.get_logger("tests.logs").exception("cache_failed")
    line = log_lines(log_settings)[-1]
    assert "ConnectionError" in line["exception"]
    assert "hunter2" not in json.dumps(line)


def test_log_console_format_readable_while_file_stays_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(env="test", var_dir=tmp_path / "var", log_format="console")
    configure_logging(settings)
    structlog.get_logger("tests.logs").info("console_line", token="abc")
    printed = capsys.readouterr().err
    assert "console_line" in printed
    assert not printed.lstrip().startswith("{")
    assert "abc" not in printed
    assert log_lines(settings)[-1]["event"] == "console_line"


def test_log_file_rotates_daily_keeping_retention_days(tmp_path: Path) -> None:
    settings = Settings(env="test", var_dir=tmp_path / "var", log_retention_days=30)
    configure_logging(settings)
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, TimedRotatingFileHandler)]
    assert len(handlers) == 1
    assert handlers[0].when == "MIDNIGHT"
    assert handlers[0].backupCount == 30
    assert handlers[0].utc is True
    assert Path(handlers[0].baseFilename) == (tmp_path / "var/logs/quantdesk.log").resolve()
