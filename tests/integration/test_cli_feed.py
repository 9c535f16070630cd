"""``quantdesk feed``: a feed process publishes quotes that every server can read."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from quantdesk.cli import app
from tests.conftest import TEST_REDIS_URL
from tests.fixtures.cli import isolate_cli

REDIS_URL = TEST_REDIS_URL or "redis://127.0.0.1:6379/0"


def test_feed_synthetic_publishes_quotes_into_the_shared_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolate_cli(monkeypatch, tmp_path)
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    client = redis.Redis.from_url(REDIS_URL)
    client.delete("quantdesk:quotes:CLIFEED")
    result = CliRunner().invoke(
        app, ["feed", "synthetic", "clifeed", "--quote-seconds", "0.01", "--limit", "3"]
    )
    stored = client.get("quantdesk:quotes:CLIFEED")
    client.delete("quantdesk:quotes:CLIFEED")
    client.close()
    assert result.exit_code == 0, result.output
    assert "Published 3 quotes" in result.output
    assert stored is not None
    assert b'"symbol":"CLIFEED"' in stored


def test_feed_without_redis_stops_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolate_cli(monkeypatch, tmp_path)
    result = CliRunner().invoke(app, ["feed", "replay", "AAPL"])
    assert result.exit_code == 2
    assert "REDIS_URL" in result.output
