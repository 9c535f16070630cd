"""Monte Carlo robustness: how much of a backtest's outcome came from the order of its trades.

The one history is a single draw. Resampling its trades gives the spread of outcomes the
same edge could have produced:

* ``"shuffle"`` permutes the trades. The final return is unchanged (the same returns,
  compounded in another order); only the path, and so the maximum drawdown, varies.
* ``"bootstrap"`` draws trades with replacement, so the final return varies as well.

Each trade counts as its profit over the equity before its entry (``pnl / equity[entry - 1]``),
which compounds back to the realised return of the history. Drawdowns are measured from
trade to trade, so they ignore dips inside a trade and read shallower than per-bar ones.
Positions still open at the end are not trades and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from quantdesk.backtest.result import BacktestResult
from quantdesk.errors import ValidationError

if TYPE_CHECKING:
    import pandas as pd

Method = Literal["shuffle", "bootstrap"]
PERCENTILES = (5, 25, 50, 75, 95)
_BLOCK_VALUES = 1 << 22  # simulations x trades per block: 32 MiB of float64


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """Resampled outcomes: one total return and one maximum drawdown per simulation.

    ``observed_return`` and ``observed_drawdown`` are those of the history's own order.
    """

    method: Method
    seed: int
    total_returns: np.ndarray
    max_drawdowns: np.ndarray
    observed_return: float
    observed_drawdown: float

    @property
    def simulations(self) -> int:
        """Return how many resampled histories were drawn."""
        return len(self.total_returns)

    @property
    def probability_of_loss(self) -> float:
        """Return the share of simulations that end below the starting equity."""
        return float(np.mean(self.total_returns < 0.0))

    @property
    def worse_drawdown_probability(self) -> float:
        """Return the share of simulations whose maximum drawdown is deeper than the history's.

        Near 0 means the history was unlucky; near 1 means it was lucky and should be
        expected to fall further in live trading.
        """
        return float(np.mean(self.max_drawdowns < self.observed_drawdown))

    def percentiles(self) -> pd.DataFrame:
        """Return the 5th, 25th, 50th, 75th and 95th percentiles of return and drawdown."""
        import pandas as pd

        return pd.DataFrame(
            {
                "total_return": np.percentile(self.total_returns, PERCENTILES),
                "max_drawdown": np.percentile(self.max_drawdowns, PERCENTILES),
            },
            index=pd.Index(PERCENTILES, name="percentile"),
        )


def monte_carlo(
    result: BacktestResult | np.ndarray,
    *,
    simulations: int = 1_000,
    seed: int = 0,
    method: Method = "shuffle",
) -> MonteCarloResult:
    """Resample the trade sequence of ``result`` ``simulations`` times.

    ``result`` is a backtest result or an array of per-trade returns on equity (0.01 = 1 %).
    The same ``seed`` gives the same simulations. See the module docstring for what each
    ``method`` keeps and what it varies.

    Example:
        >>> import numpy as np
        >>> draws = monte_carlo(np.array([0.05, -0.02, 0.03, -0.04]), simulations=200)
        >>> bool(np.allclose(draws.total_returns, draws.observed_return))
        True
    """
    if method not in ("shuffle", "bootstrap"):
        raise ValidationError(f"method must be 'shuffle' or 'bootstrap', got {method!r}")
    if isinstance(simulations, bool) or not isinstance(simulations, int) or simulations < 1:
        raise ValidationError(
            f"simulations must be a whole number of at least 1, got {simulations!r}"
        )
    logs = np.log1p(trade_returns(result) if isinstance(result, BacktestResult) else _array(result))
    rng = np.random.default_rng(seed)
    rows = max(1, _BLOCK_VALUES // len(logs))
    totals, drawdowns = [], []
    for start in range(0, simulations, rows):
        paths = _draw(logs, min(rows, simulations - start), method, rng)
        total, drawdown = _outcomes(paths)
        totals.append(total)
        drawdowns.append(drawdown)
    observed_return, observed_drawdown = _outcomes(logs[None, :])
    return MonteCarloResult(
        method=method,
        seed=seed,
        total_returns=np.concatenate(totals),
        max_drawdowns=np.concatenate(drawdowns),
        observed_return=float(observed_return[0]),
        observed_drawdown=float(observed_drawdown[0]),
    )


def trade_returns(result: BacktestResult) -> np.ndarray:
    """Return each closed trade's profit over the equity before its entry, in exit order."""
    trades = result.trades
    trades = trades[np.argsort(trades["exit_index"], kind="stable")]
    entry = trades["entry_index"]
    before = np.where(
        entry > 0, result.equity[np.maximum(entry - 1, 0)], result.options.initial_cash
    )
    returns: np.ndarray = trades["pnl"] / before
    return _array(returns)


def _array(values: np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or len(array) == 0:
        raise ValidationError(
            "there are no closed trades to resample; lengthen the history or loosen the strategy"
        )
    if not np.all(np.isfinite(array)) or np.any(array <= -1.0):
        raise ValidationError("trade returns must be finite and above -1 (a loss of 100 %)")
    return array


def _draw(logs: np.ndarray, rows: int, method: Method, rng: np.random.Generator) -> np.ndarray:
    if method == "bootstrap":
        picks: np.ndarray = logs[rng.integers(0, len(logs), size=(rows, len(logs)))]
        return picks
    shuffled: np.ndarray = rng.permuted(np.tile(logs, (rows, 1)), axis=1)
    return shuffled


def _outcomes(logs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # (total return, maximum drawdown) of each row of log returns; the peak includes the start
    path = np.cumsum(logs, axis=1)
    peak = np.maximum(np.maximum.accumulate(path, axis=1), 0.0)
    drawdown = np.minimum(np.expm1(np.min(path - peak, axis=1)), 0.0)
    return np.expm1(path[:, -1]), drawdown
