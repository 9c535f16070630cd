"""``quantdesk backtest``, ``optimize`` and ``strategy`` on a throwaway migrated SQLite database."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner, Result

from quantdesk.bars import Bars
from quantdesk.cli import app
from quantdesk.db import migrate
from quantdesk.strategies import NoParameters, Signals, Strategy, register
from tests.fixtures.cli import isolate_cli


@register
class Peeking(Strategy[Any]):
    """Enter when tomorrow's close is higher: the look-ahead the check must catch."""

    name = "test_cli_peeking"
    Parameters = NoParameters

    def signals(self, bars: Bars) -> Signals:
        """Compare each close with the next one."""
        rising = np.append(bars.close[1:] > bars.close[:-1], False)
        return Signals(entries=rising, exits=~rising)


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    template = tmp_path_factory.mktemp("backtest-cli-template") / "template.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{template.as_posix()}")
    return template


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, migrated_template: Path) -> Path:
    database = isolate_cli(monkeypatch, tmp_path)
    shutil.copyfile(migrated_template, database)
    stored = invoke("data", "synth", "--symbol", "SYN", "--timeframe", "1d", "--bars", "300")
    assert stored.exit_code == 0, stored.output
    return database


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_backtest_prints_metrics_and_writes_report(database: Path, tmp_path: Path) -> None:
    report = tmp_path / "out.html"
    result = invoke(
        "backtest", "sma_cross", "--symbol", "syn", "--timeframe", "1d",
        "--param", "fast=5", "--param", "slow=20", "--commission", "0.001",
        "--report", str(report),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "sharpe" in result.stdout
    assert "buy & hold" in result.stdout
    assert "<svg" in report.read_text(encoding="utf-8")


def test_backtest_bad_param_one_line_exit_2(database: Path) -> None:
    result = invoke("backtest", "sma_cross", "--symbol", "SYN", "--param", "fast=0")
    assert result.exit_code == 2
    assert "fast" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_backtest_unknown_symbol_fails_naming_it(database: Path) -> None:
    result = invoke("backtest", "sma_cross", "--symbol", "NOPE")
    assert result.exit_code == 1
    assert "NOPE" in result.stderr


def test_optimize_grid_prints_top_rows(database: Path) -> None:
    result = invoke(
        "optimize", "sma_cross", "--symbol", "SYN", "--grid", "fast=2:10:2",
        "--grid", "slow=20,30", "--metric", "total_return",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Best 10 by total_return" in result.stdout
    assert result.stdout.count("│") > 10


def test_optimize_malformed_grid_exit_2(database: Path) -> None:
    result = invoke("optimize", "sma_cross", "--symbol", "SYN", "--grid", "fast")
    assert result.exit_code == 2
    assert "name=5:50:5" in result.stderr


def test_strategy_list_shows_registry(database: Path) -> None:
    result = invoke("strategy", "list")
    assert result.exit_code == 0
    assert "sma_cross" in result.stdout
    assert "rules" in result.stdout


def test_strategy_check_lookahead_passes_on_synthetic_bars(database: Path) -> None:
    result = invoke("strategy", "check-lookahead", "sma_cross", "--param", "fast=5")
    assert result.exit_code == 0, result.output
    assert "passed" in result.stdout


def test_strategy_check_lookahead_failure_exit_1(database: Path) -> None:
    result = invoke("strategy", "check-lookahead", "test_cli_peeking", "--symbol", "SYN")
    assert result.exit_code == 1
    assert "FAILED" in result.stdout
