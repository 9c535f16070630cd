"""The HTML report: one offline page with every section, its data, and nothing unescaped."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from quantdesk.backtest import BacktestResult, run
from quantdesk.backtest.montecarlo import monte_carlo
from quantdesk.backtest.report import MAX_LISTED_TRADES, report
from quantdesk.backtest.sweep import sweep
from quantdesk.backtest.walk_forward import walk_forward
from quantdesk.bars import Bars
from quantdesk.strategies import NoParameters, Signals, Strategy, get
from tests.fixtures.backtest import synthetic_bars

HOSTILE = '<script>alert("x")</script>'


class _Page(HTMLParser):
    """Collect tags, attributes, ids, table rows and text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.section: str | None = None
        self.rows: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "section":
            self.section = attributes.get("id")
        if tag == "tr" and self.section is not None:
            self.rows[self.section] = self.rows.get(self.section, 0) + 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def ids(self) -> set[str]:
        return {a["id"] for _, a in self.tags if a.get("id")}

    def count(self, tag: str, css: str | None = None) -> int:
        return sum(
            1 for t, a in self.tags if t == tag and (css is None or css in (a.get("class") or ""))
        )


def _parse(path: Path) -> _Page:
    parser = _Page()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def result() -> BacktestResult:
    bars = synthetic_bars(3_000, seed=8, symbol=HOSTILE)
    return run("sma_cross", bars, {"fast": 10, "slow": 40}, commission=0.0005)


def test_report_has_every_section_with_charts_and_metrics(
    result: BacktestResult, tmp_path: Path
) -> None:
    page = _parse(report(result, tmp_path / "r.html"))
    assert {"metrics", "price-0", "equity", "drawdown", "trades"} <= page.ids()
    assert page.count("svg") == 3  # price, equity, drawdown
    assert page.count("polyline") == 4  # close, equity, benchmark, drawdown
    assert "Sharpe" in page.text
    assert f"{result.metrics.performance.sharpe:.3f}" in page.text


def test_report_marks_entry_and_exit_of_every_trade(result: BacktestResult, tmp_path: Path) -> None:
    page = _parse(report(result, tmp_path / "r.html"))
    assert page.count("polygon", "marker") == 2 * len(result.trades)
    assert page.rows["trades"] == len(result.trades) + 1  # header row
    assert f"{len(result.trades):,} closed trades." in page.text


def test_report_lists_at_most_the_first_thousand_trades(tmp_path: Path) -> None:
    bars = synthetic_bars(40_000, seed=1)
    busy = run("sma_cross", bars, {"fast": 2, "slow": 3})
    assert len(busy.trades) > MAX_LISTED_TRADES
    page = _parse(report(busy, tmp_path / "r.html"))
    assert page.rows["trades"] == MAX_LISTED_TRADES + 1
    assert any(f"the first {MAX_LISTED_TRADES:,} listed" in text for text in page.text)


def test_report_draws_sweep_heat_map_walk_forward_and_monte_carlo(
    result: BacktestResult, tmp_path: Path
) -> None:
    bars = synthetic_bars(3_000, seed=8)
    swept = sweep("sma_cross", bars, {"fast": [5, 10, 20], "slow": [30, 40, 60, 90]})
    walked = walk_forward("sma_cross", bars, {"fast": [5, 10]}, train_bars=1_000, test_bars=1_000)
    draws = monte_carlo(result, simulations=200, method="bootstrap")
    path = report(result, tmp_path / "r.html", sweep=swept, walk_forward=walked, monte_carlo=draws)
    page = _parse(path)
    assert {"sweep", "walk-forward", "monte-carlo"} <= page.ids()
    assert page.count("rect", "cell") == 12
    assert page.rows["walk-forward"] == len(walked.windows) + 1
    assert page.rows["monte-carlo"] == 1 + 5 + 1  # header, percentiles, history
    assert f"{draws.observed_return:.2%}" in page.text


def test_report_one_parameter_sweep_draws_a_line(result: BacktestResult, tmp_path: Path) -> None:
    strategy = get("sma_cross")(fast=5, slow=60)
    swept = sweep(strategy, synthetic_bars(1_000), {"fast": [5, 10, 20]})
    page = _parse(report(result, tmp_path / "r.html", sweep=swept))
    assert page.count("rect", "cell") == 0
    assert page.rows["sweep"] == 4


def test_report_needs_no_network(result: BacktestResult, tmp_path: Path) -> None:
    html = report(result, tmp_path / "r.html").read_text(encoding="utf-8")
    page = _parse(tmp_path / "r.html")
    assert "http://" not in html
    assert "https://" not in html
    assert page.count("script") == 0
    assert page.count("link") == 0
    assert all(not a.get("src") and not a.get("href") for _, a in page.tags)


class _Hostile(Strategy[Any]):
    """Enter every 50 bars and leave 10 bars later."""

    name = '<img src=x onerror="alert(1)">'
    Parameters = NoParameters

    def signals(self, bars: Bars) -> Signals:
        """Fire on a fixed schedule."""
        index = np.arange(len(bars))
        return Signals(entries=index % 50 == 0, exits=index % 50 == 10)


def test_report_escapes_user_strings(tmp_path: Path) -> None:
    bars = synthetic_bars(500, symbol=HOSTILE)
    hostile = run(_Hostile(), bars)
    default = _parse(report(hostile, tmp_path / "default.html"))
    titled = _parse(report(hostile, tmp_path / "titled.html", title=f"{HOSTILE} & <b>"))
    for page in (default, titled):
        assert page.count("script") == 0
        assert page.count("img") == 0
        assert page.count("b") == 0
    assert f"{_Hostile.name} on {HOSTILE}" in default.text
    assert f"{HOSTILE} & <b>" in titled.text
