"""What a backtest returns: trades, open positions, equity per bar, metrics and frames."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from quantdesk.backtest import _layout
from quantdesk.backtest._market import Market
from quantdesk.backtest.metrics import (
    Metrics,
    calendar_returns,
    infer_periods_per_year,
    performance,
    trade_metrics,
)
from quantdesk.backtest.options import BacktestOptions

if TYPE_CHECKING:
    import pandas as pd

    from quantdesk.strategies.base import Strategy

TRADE_FIELDS = [
    ("symbol", object),
    ("side", np.int8),
    ("entry_time", "datetime64[ns]"),
    ("exit_time", "datetime64[ns]"),
    ("entry_index", np.int64),
    ("exit_index", np.int64),
    ("entry_price", np.float64),
    ("exit_price", np.float64),
    ("quantity", np.float64),
    ("entry_fees", np.float64),
    ("exit_fees", np.float64),
    ("pnl", np.float64),
    ("return", np.float64),
    ("bars_held", np.int64),
    ("exit_reason", object),
    ("ambiguous", np.bool_),
]
POSITION_FIELDS = [
    ("symbol", object),
    ("side", np.int8),
    ("quantity", np.float64),
    ("entry_time", "datetime64[ns]"),
    ("entry_index", np.int64),
    ("entry_price", np.float64),
    ("entry_fees", np.float64),
    ("last_price", np.float64),
    ("unrealised_pnl", np.float64),
    ("bars_held", np.int64),
]


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """The outcome of :func:`quantdesk.backtest.run`.

    ``trades`` holds closed trades only; positions still open after the last bar are in
    ``positions`` (marked at their last close, not force-closed). ``equity[i]`` is cash plus
    position value at close *i*. Indices count bars of the shared grid (``timestamps``).
    """

    market: Market
    closed: np.ndarray
    final_state: np.ndarray
    equity: np.ndarray
    options: BacktestOptions
    strategy: Strategy[Any] | None = None

    @property
    def timestamps(self) -> np.ndarray:
        """Return the bar times, int64 nanoseconds UTC."""
        return self.market.timestamps

    @cached_property
    def trades(self) -> np.ndarray:
        """Return closed trades as a structured array (fields in ``TRADE_FIELDS``)."""
        raw = self.closed
        trades = np.empty(len(raw), dtype=TRADE_FIELDS)
        for name in (
            "side",
            "entry_index",
            "exit_index",
            "entry_price",
            "exit_price",
            "quantity",
            "entry_fees",
            "exit_fees",
            "pnl",
            "return",
            "ambiguous",
        ):
            trades[name] = raw[name]
        trades["symbol"] = np.array(self.market.symbols, dtype=object)[raw["symbol"]]
        trades["entry_time"] = self.timestamps[raw["entry_index"]]
        trades["exit_time"] = self.timestamps[raw["exit_index"]]
        trades["bars_held"] = raw["exit_index"] - raw["entry_index"]
        trades["exit_reason"] = np.array(_layout.EXIT_REASONS, dtype=object)[raw["exit_reason"]]
        return trades

    @cached_property
    def positions(self) -> np.ndarray:
        """Return the positions still open after the last bar, valued at their last close."""
        state = self.final_state
        held = np.flatnonzero(state[:, _layout.QTY] != 0.0)
        positions = np.empty(len(held), dtype=POSITION_FIELDS)
        quantity = state[held, _layout.QTY]
        entry = state[held, _layout.ENTRY_ROW].astype(np.int64)
        positions["symbol"] = np.array(self.market.symbols, dtype=object)[held]
        positions["side"] = np.sign(quantity)
        positions["quantity"] = np.abs(quantity)
        positions["entry_time"] = self.timestamps[entry]
        positions["entry_index"] = entry
        positions["entry_price"] = state[held, _layout.ENTRY_PRICE]
        positions["entry_fees"] = state[held, _layout.ENTRY_FEES]
        positions["last_price"] = state[held, _layout.MARK]
        positions["unrealised_pnl"] = (
            quantity * (state[held, _layout.MARK] - state[held, _layout.ENTRY_PRICE])
            - state[held, _layout.ENTRY_FEES]
        )
        positions["bars_held"] = len(self.timestamps) - 1 - entry
        return positions

    @cached_property
    def cash(self) -> np.ndarray:
        """Return cash after each bar, rebuilt from the fills of every trade."""
        trades, open_ = self.trades, self.positions
        side = trades["side"] * trades["quantity"]
        held = open_["side"] * open_["quantity"]
        index = np.concatenate((trades["entry_index"], trades["exit_index"], open_["entry_index"]))
        flows = np.concatenate(
            (
                -side * trades["entry_price"] - trades["entry_fees"],
                side * trades["exit_price"] - trades["exit_fees"],
                -held * open_["entry_price"] - open_["entry_fees"],
            )
        )
        per_bar = np.bincount(index, weights=flows, minlength=len(self.equity))
        return self.options.initial_cash + np.cumsum(per_bar)

    @cached_property
    def in_market(self) -> np.ndarray:
        """Return, per bar, whether any position was held at its close."""
        trades, open_ = self.trades, self.positions
        starts = np.concatenate((trades["entry_index"], open_["entry_index"]))
        change = np.bincount(starts, minlength=len(self.equity) + 1).astype(np.int64)
        change -= np.bincount(trades["exit_index"], minlength=len(self.equity) + 1)
        return np.cumsum(change[:-1]) > 0

    @cached_property
    def benchmark(self) -> np.ndarray:
        """Return buy-and-hold equity: cash split equally, each part bought at its first close."""
        close = self.market.close
        first = np.argmax(~np.isnan(close), axis=0)
        shares = (
            self.options.initial_cash / close.shape[1] / close[first, np.arange(close.shape[1])]
        )
        if close.shape[1] == 1:
            single: np.ndarray = close[:, 0] * shares[0]
            return single
        value = _carry_forward(close) * shares
        idle = np.where(np.isnan(value), self.options.initial_cash / close.shape[1], value)
        total: np.ndarray = idle.sum(axis=1)
        return total

    @cached_property
    def metrics(self) -> Metrics:
        """Compute the metrics of the strategy and of buy-and-hold on the same bars."""
        initial, timestamps = self.options.initial_cash, self.timestamps
        per_year = self.options.periods_per_year or infer_periods_per_year(timestamps)
        return Metrics(
            performance=performance(self.equity, initial, timestamps, per_year),
            trades=trade_metrics(self.trades, self.in_market),
            benchmark=performance(self.benchmark, initial, timestamps, per_year),
            periods_per_year=per_year,
            monthly_returns=calendar_returns(self.equity, initial, timestamps, "M"),
            yearly_returns=calendar_returns(self.equity, initial, timestamps, "Y"),
        )

    @property
    def ambiguous_trades(self) -> int:
        """Return how many closed trades left on a bar that touched both stop and target."""
        return int(np.count_nonzero(self.closed["ambiguous"]))

    def to_frame(self) -> pd.DataFrame:
        """Return one row per bar: equity, cash, drawdown, in-market flag and benchmark."""
        import pandas as pd

        equity = self.equity
        peak = np.maximum(np.maximum.accumulate(equity), self.options.initial_cash)
        index = pd.DatetimeIndex(self.timestamps.astype("datetime64[ns]"), tz="UTC", name="time")
        return pd.DataFrame(
            {
                "equity": equity,
                "cash": self.cash,
                "drawdown": equity / peak - 1.0,
                "in_market": self.in_market,
                "benchmark": self.benchmark,
            },
            index=index,
        )

    def trades_frame(self) -> pd.DataFrame:
        """Return the closed trades as a DataFrame with UTC entry and exit times."""
        import pandas as pd

        frame = pd.DataFrame(self.trades)
        for column in ("entry_time", "exit_time"):
            frame[column] = frame[column].dt.tz_localize("UTC")
        return frame


def _carry_forward(values: np.ndarray) -> np.ndarray:
    rows = np.where(np.isnan(values), 0, np.arange(len(values))[:, None])
    return values[np.maximum.accumulate(rows, axis=0), np.arange(values.shape[1])]
