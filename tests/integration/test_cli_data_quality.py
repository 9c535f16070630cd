"""``quantdesk data check`` and ``quantdesk data fetch`` as an operator runs them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import respx
from typer.testing import CliRunner

from quantdesk.cli import app
from quantdesk.db import models  # noqa: F401  (registers every table on Base.metadata)
from quantdesk.db.base import Base
from quantdesk.db.engine import create_engine
from quantdesk.marketdata import yahoo
from tests.fixtures.cli import isolate_cli
from tests.fixtures.providers import recorded

CLEAN_CSV = "date,open,high,low,close,volume\n" + "\n".join(
    f"2024-01-{day:02d},10,11,9,10.{day},100" for day in (8, 9, 10, 11, 12)
)
GAPPY_CSV = "date,open,high,low,close,volume\n2024-01-08,10,11,9,10,100\n2024-01-10,10,16,9,15,0\n"
DUPLICATE_CSV = (
    "date,open,high,low,close,volume\n2024-01-08,10,11,9,10,1\n2024-01-08,10,11,9,10,1\n"
)


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = isolate_cli(monkeypatch, tmp_path)

    async def create() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path.as_posix()}")
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        await engine.dispose()

    asyncio.run(create())
    return path


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bars.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_check_clean_file_exits_zero(database: Path, tmp_path: Path) -> None:
    file = write(tmp_path, CLEAN_CSV)
    result = CliRunner().invoke(
        app, ["data", "check", "--file", str(file), "--calendar", "weekdays"]
    )
    assert result.exit_code == 0, result.output
    assert "clean" in result.output


def test_check_file_with_gap_and_jump_exits_one_naming_them(database: Path, tmp_path: Path) -> None:
    file = write(tmp_path, GAPPY_CSV)
    result = CliRunner().invoke(app, ["data", "check", "--file", str(file)])
    assert result.exit_code == 1
    assert "missing" in result.output
    assert "2024-01-09T00:00:00Z" in result.output
    assert "price_jumps" in result.output


def test_check_file_with_duplicate_rows_names_the_file_rows(database: Path, tmp_path: Path) -> None:
    file = write(tmp_path, DUPLICATE_CSV)
    result = CliRunner().invoke(app, ["data", "check", "--file", str(file)])
    assert result.exit_code == 1
    assert "repeats" in result.output


def test_check_needs_symbol_or_file(database: Path) -> None:
    result = CliRunner().invoke(app, ["data", "check"])
    assert result.exit_code == 1
    assert "--file" in result.output


@respx.mock
def test_fetch_then_check_stored_bars(database: Path) -> None:
    respx.get(f"{yahoo.BASE_URL}/v8/finance/chart/AAPL").respond(
        json=recorded("yahoo_chart_aapl_1d.json")
    )
    fetched = CliRunner().invoke(app, ["data", "fetch", "AAPL", "--start", "2024-01-02"])
    assert fetched.exit_code == 0, fetched.output
    assert "Stored 5 1d bars" in fetched.output
    checked = CliRunner().invoke(app, ["data", "check", "AAPL", "--calendar", "weekdays"])
    assert checked.exit_code == 0, checked.output
    unknown = CliRunner().invoke(app, ["data", "check", "MSFT"])
    assert unknown.exit_code == 1
    assert "MSFT" in unknown.output
