"""One self-contained HTML page per backtest: charts, metrics, trades and robustness checks.

The page inlines its stylesheet and draws every chart as SVG on the server, so it opens
offline, attaches to an e-mail and never fetches anything. Every name that comes from the
user (strategy, symbols, parameters, titles) is escaped before it reaches the page.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from quantdesk.backtest._report_svg import Line, Marker, heatmap, histogram, line_chart
from quantdesk.backtest._report_template import page, section, table
from quantdesk.backtest.result import BacktestResult

if TYPE_CHECKING:
    from quantdesk.backtest.montecarlo import MonteCarloResult
    from quantdesk.backtest.sweep import SweepResult
    from quantdesk.backtest.walk_forward import WalkForwardResult

MAX_MARKED_TRADES = 1_500
MAX_LISTED_TRADES = 1_000
MAX_PRICE_CHARTS = 4
PERCENT = {
    "total_return", "cagr", "annual_volatility", "max_drawdown", "win_rate", "average_trade",
    "best_trade", "worst_trade", "exposure",
}  # fmt: skip
COUNTS = {"max_drawdown_bars", "number_of_trades", "ambiguous_trades"}
SWEEP_COLUMNS = ("total_return", "sharpe", "max_drawdown", "number_of_trades")
WINDOW_HEADER = [
    "Window",
    "Train bars",
    "Test from",
    "Parameters",
    "In sample",
    "Out of sample",
    "Equity",
]
TRADE_HEADER = [
    "Symbol", "Side", "Entry", "Exit", "Entry price", "Exit price", "Quantity", "P&L", "Return",
    "Bars", "Exit reason",
]  # fmt: skip


def report(
    result: BacktestResult,
    path: str | Path,
    *,
    title: str | None = None,
    sweep: SweepResult | None = None,
    monte_carlo: MonteCarloResult | None = None,
    walk_forward: WalkForwardResult | None = None,
) -> Path:
    """Write the HTML report of ``result`` to ``path`` and return the path.

    The page shows price with every trade marked (entries as up triangles for buys, exits
    as down triangles for sells; at most the first 1,500 trades per chart), equity
    against buy-and-hold, drawdown, the metrics of both, and the trade list (the first
    1,000 trades). Given a sweep it adds a heat map of the first two parameters; given a
    walk-forward or Monte Carlo result, their tables and charts.

    Example:
        >>> import numpy as np, tempfile, pathlib
        >>> from quantdesk.bars import Bars
        >>> from quantdesk.backtest import run
        >>> close = 100 + np.sin(np.arange(300) / 10) * 10
        >>> bars = Bars.from_arrays(np.arange(300) * 86_400 * 10**9, close, close + 1,
        ...                         close - 1, close, np.ones(300), symbol="DEMO")
        >>> result = run("sma_cross", bars, {"fast": 5, "slow": 20})
        >>> out = report(result, pathlib.Path(tempfile.mkdtemp()) / "report.html")
        >>> "<svg" in out.read_text()
        True
    """
    labels = _time_labels(result.timestamps)
    sections = [_metrics(result), *_prices(result, labels), _equity(result, labels)]
    if walk_forward is not None:
        sections.append(_walk_forward(walk_forward))
    if sweep is not None:
        sections.append(_sweep(sweep))
    if monte_carlo is not None:
        sections.append(_monte_carlo(monte_carlo))
    sections.append(_trades(result, labels))
    html = page(title or _default_title(result), _subtitle(result), sections)
    target = Path(path)
    target.write_text(html, encoding="utf-8")
    return target


def _default_title(result: BacktestResult) -> str:
    name = result.strategy.name if result.strategy is not None else "Signals"
    return f"{name} on {', '.join(result.market.symbols)}"


def _subtitle(result: BacktestResult) -> str:
    labels = _time_labels(result.timestamps[[0, -1]])
    commission, slippage = result.options.costs
    params = _params(result.strategy.params.model_dump()) if result.strategy is not None else ""
    parts = [
        params,
        f"{labels[0]} to {labels[1]}, {len(result.timestamps):,} bars",
        f"fill at {result.options.fill.replace('_', ' ')}",
        f"commission {commission.fraction:.3%} + {commission.fixed:g}",
        f"slippage {slippage.bps:g} bps",
    ]
    return " · ".join(part for part in parts if part)


def _metrics(result: BacktestResult) -> str:
    metrics = result.metrics
    strategy, benchmark = metrics.performance.to_dict(), metrics.benchmark.to_dict()
    performance = [
        [_label(k), _format(k, v), _format(k, benchmark[k])] for k, v in strategy.items()
    ]
    trades = [[_label(k), _format(k, v)] for k, v in metrics.trades.to_dict().items()]
    body = (
        '<div class="tables">'
        + table(["Performance", "Strategy", "Buy and hold"], performance)
        + table(["Trades", "Value"], trades)
        + "</div>"
    )
    return section("metrics", "Metrics", body)


def _prices(result: BacktestResult, labels: np.ndarray) -> list[str]:
    charts = []
    trades = result.trades
    for j, symbol in enumerate(result.market.symbols[:MAX_PRICE_CHARTS]):
        mine = trades[trades["symbol"] == symbol][:MAX_MARKED_TRADES]
        markers = _trade_markers(mine, labels)
        close = Line(f"{symbol} close", result.market.close[:, j], "#2563eb")
        note = ""
        if np.count_nonzero(trades["symbol"] == symbol) > MAX_MARKED_TRADES:
            note = f'<p class="note">The first {MAX_MARKED_TRADES:,} trades are marked.</p>'
        chart = line_chart([close], labels, markers=markers, height=340, name=f"{symbol} price")
        charts.append(section(f"price-{j}", f"Price and trades: {symbol}", chart + note))
    return charts


def _trade_markers(trades: np.ndarray, labels: np.ndarray) -> list[Marker]:
    markers = []
    for trade in trades:
        long = trade["side"] > 0
        side = "long" if long else "short"
        markers.append(
            Marker(
                int(trade["entry_index"]), float(trade["entry_price"]), "buy" if long else "sell",
                f"{side} entry {labels[trade['entry_index']]} at {trade['entry_price']:.6g}",
            )
        )  # fmt: skip
        markers.append(
            Marker(
                int(trade["exit_index"]), float(trade["exit_price"]), "sell" if long else "buy",
                f"{side} exit ({trade['exit_reason']}) {labels[trade['exit_index']]} at "
                f"{trade['exit_price']:.6g}, return {trade['return']:.2%}",
            )
        )  # fmt: skip
    return markers


def _equity(result: BacktestResult, labels: np.ndarray) -> str:
    equity = result.equity
    peak = np.maximum(np.maximum.accumulate(equity), result.options.initial_cash)
    curves = [
        Line("Strategy", equity, "#2563eb"),
        Line("Buy and hold", result.benchmark, "#a1a1aa"),
    ]
    drawdown = [Line("Drawdown", equity / peak - 1.0, "#b91c1c", fill=True)]
    body = (
        line_chart(curves, labels, name="equity against buy and hold")
        + '<h2 id="drawdown">Drawdown</h2>'
        + line_chart(drawdown, labels, percent=True, height=200, name="drawdown")
    )
    return section("equity", "Equity against buy and hold", body)


def _sweep(sweep: SweepResult) -> str:
    chart, caption = _sweep_chart(sweep)
    names = sweep.parameters
    header = [*names, *(_label(column) for column in SWEEP_COLUMNS)]
    rows = [
        [*(str(row[n]) for n in names), *(_format(c, row[c]) for c in SWEEP_COLUMNS)]
        for row in sweep.table.head(10).to_dict("records")
    ]
    note = (
        f'<p class="note">{escape(caption)} {len(sweep.table):,} combinations run, '
        f"{sweep.skipped:,} refused by the strategy, {sweep.excluded:,} excluded.</p>"
    )
    heading = f"Parameter sweep: {sweep.metric}"
    return section("sweep", heading, chart + note + table(header, rows))


def _sweep_chart(sweep: SweepResult) -> tuple[str, str]:
    names, metric = sweep.parameters, sweep.metric
    if len(names) == 1:
        ordered = sweep.table.sort_values(names[0])
        line = Line(metric, ordered[metric].to_numpy(np.float64), "#2563eb")
        chart = line_chart([line], [str(v) for v in ordered[names[0]]], name="sweep")
        return chart, f"{metric} by {names[0]}."
    grid = sweep.heatmap(names[0], names[1])
    values = grid.to_numpy(np.float64)
    rows, columns = [str(v) for v in grid.index], [str(v) for v in grid.columns]
    titles = [
        f"{names[0]}={c}, {names[1]}={r}: {metric} {_format(metric, values[i, k])}"
        for i, r in enumerate(rows)
        for k, c in enumerate(columns)
    ]
    caption = (
        f"{metric} by {names[0]} (across) and {names[1]} (down); red low, green high, grey not run."
    )
    return heatmap(values, rows, columns, titles), caption


def _walk_forward(walk: WalkForwardResult) -> str:
    labels = _time_labels(walk.timestamps)
    line = Line("Out-of-sample equity", walk.equity, "#7c3aed")
    chart = line_chart([line], labels, name="walk-forward")
    starts = np.cumsum([0] + [w.test_end - w.test_start for w in walk.windows])
    rows = [
        [
            str(k + 1), f"{w.train_start:,}–{w.train_end:,}", labels[starts[k]],
            _params(w.params), _format(walk.metric, w.in_sample),
            _format(walk.metric, w.out_of_sample), f"{w.final_equity:,.2f}",
        ]
        for k, w in enumerate(walk.windows)
    ]  # fmt: skip
    note = (
        f'<p class="note">{escape(walk.metric)}: walk-forward efficiency '
        f"{_format('sharpe', walk.efficiency)} (mean out of sample over mean in sample); "
        f"out-of-sample total return {walk.metrics.total_return:.2%}, "
        f"maximum drawdown {walk.metrics.max_drawdown:.2%}.</p>"
    )
    return section("walk-forward", "Walk-forward", chart + note + table(WINDOW_HEADER, rows))


def _monte_carlo(draws: MonteCarloResult) -> str:
    rows = [
        [f"{p}th", f"{row['total_return']:.2%}", f"{row['max_drawdown']:.2%}"]
        for p, row in draws.percentiles().iterrows()
    ]
    rows.append(["history", f"{draws.observed_return:.2%}", f"{draws.observed_drawdown:.2%}"])
    note = (
        f'<p class="note">{draws.simulations:,} {draws.method} simulations of the trade sequence '
        f"(seed {draws.seed}). Probability of loss {draws.probability_of_loss:.1%}; "
        f"{draws.worse_drawdown_probability:.1%} of simulations had a deeper drawdown.</p>"
    )
    charts = histogram(draws.max_drawdowns, "maximum drawdown", "#b91c1c")
    if draws.method == "bootstrap":
        charts = histogram(draws.total_returns, "total return", "#2563eb") + charts
    body = note + table(["Percentile", "Total return", "Maximum drawdown"], rows) + charts
    return section("monte-carlo", "Monte Carlo robustness", body)


def _trades(result: BacktestResult, labels: np.ndarray) -> str:
    rows = [
        [
            str(t["symbol"]), "long" if t["side"] > 0 else "short",
            labels[t["entry_index"]], labels[t["exit_index"]], f"{t['entry_price']:.6g}",
            f"{t['exit_price']:.6g}", f"{t['quantity']:.6g}", f"{t['pnl']:,.2f}",
            f"{t['return']:.2%}", str(t["bars_held"]), str(t["exit_reason"]),
        ]
        for t in result.trades[:MAX_LISTED_TRADES]
    ]  # fmt: skip
    total = len(result.trades)
    note = f"{total:,} closed trades" + (
        f", the first {MAX_LISTED_TRADES:,} listed." if total > MAX_LISTED_TRADES else "."
    )
    body = f'<p class="note">{note}</p>' + table(TRADE_HEADER, rows, css="scroll")
    return section("trades", "Trades", body)


def _time_labels(timestamps: np.ndarray) -> np.ndarray:
    stamps = np.asarray(timestamps, np.int64).astype("datetime64[ns]")
    daily = bool(np.all(np.asarray(timestamps, np.int64) % (86_400 * 10**9) == 0))
    text = np.datetime_as_string(stamps, unit="D" if daily else "m")
    labels: np.ndarray = np.char.replace(text, "T", " ")
    return labels


def _params(params: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value}" for name, value in params.items())


def _label(name: str) -> str:
    return "CAGR" if name == "cagr" else name.replace("_", " ").capitalize()


def _format(name: str, value: Any) -> str:
    number = float(value)
    if math.isnan(number):
        return "–"
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    if name in PERCENT:
        return f"{number:.2%}"
    if name in COUNTS:
        return f"{int(number):,}"
    if name == "max_drawdown_days":
        return f"{number:,.1f} days"
    return f"{number:,.2f}" if abs(number) >= 100 else f"{number:.3f}"
