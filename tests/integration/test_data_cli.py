"""``quantdesk data`` as an operator uses it, on a throwaway migrated SQLite database."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from quantdesk.cli import app
from quantdesk.db import migrate
from quantdesk.services.demo import DEMO_SYMBOLS
from tests.fixtures.cli import isolate_cli
from tests.fixtures.market_files import bars_csv, csv_bytes, daily_bars


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    template = tmp_path_factory.mktemp("data-cli-template") / "template.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{template.as_posix()}")
    return template


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, migrated_template: Path) -> Path:
    database = isolate_cli(monkeypatch, tmp_path)
    shutil.copyfile(migrated_template, database)
    return database


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def closes(database: Path, symbol: str) -> list[float]:
    query = (
        "SELECT close FROM bars JOIN instruments ON instruments.id = bars.instrument_id "
        "WHERE instruments.symbol = ? ORDER BY ts"
    )
    with sqlite3.connect(database) as connection:
        return [row[0] for row in connection.execute(query, (symbol,))]


def test_data_import_file_stored_and_summarised(database: Path, tmp_path: Path) -> None:
    bars = daily_bars(15)
    path = tmp_path / "spy.csv"
    path.write_bytes(bars_csv(bars, date_only=True, sep=";"))
    result = invoke("data", "import", str(path), "--symbol", "spy", "--timeframe", "1d")
    assert result.exit_code == 0, result.output
    assert "SPY" in result.stdout
    assert closes(database, "SPY") == bars.close.tolist()
    again = invoke("data", "import", str(path), "--symbol", "SPY")
    assert again.exit_code == 0
    assert "│ 0   │ 0       │ 15" in again.stdout


def test_data_import_malformed_file_lists_rows_and_writes_nothing(
    database: Path, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(
        csv_bytes([("2024-01-02", 1, 2, 0.5, 1.5, 1), ("2024-01-03", 1, 2, 0.5, "n/a", 1)])
    )
    result = invoke("data", "import", str(path), "--symbol", "BAD")
    assert result.exit_code == 1
    assert "close is not a number" in result.stderr
    assert "│ 3   │ close" in result.stderr
    assert closes(database, "BAD") == []


def test_data_synth_same_seed_same_bars(database: Path) -> None:
    for symbol in ("ONE", "TWO"):
        result = invoke("data", "synth", "--symbol", symbol, "--bars", "300", "--seed", "5")
        assert result.exit_code == 0, result.output
    assert len(closes(database, "ONE")) == 300
    assert closes(database, "ONE") == closes(database, "TWO")


def test_data_synth_bad_option_fails_naming_it(database: Path) -> None:
    result = invoke("data", "synth", "--symbol", "X", "--timeframe", "2x")
    assert result.exit_code == 1
    assert "timeframe '2x'" in result.stderr


def test_data_demo_loads_once(database: Path) -> None:
    first = invoke("data", "demo")
    assert first.exit_code == 0, first.output
    symbols = [symbol for symbol, *_ in DEMO_SYMBOLS]
    with sqlite3.connect(database) as connection:
        stored = connection.execute(
            "SELECT DISTINCT timeframe FROM bars ORDER BY timeframe"
        ).fetchall()
        count = connection.execute("SELECT count(*) FROM bars").fetchone()[0]
    assert stored == [("1d",), ("1h",)]
    assert all(closes(database, symbol) for symbol in symbols)
    second = invoke("data", "demo")
    assert "stored already" in second.stdout
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM bars").fetchone()[0] == count
