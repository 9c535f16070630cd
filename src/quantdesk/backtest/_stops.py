"""Stops, targets and trailing stops checked against a bar's open, high and low."""

from __future__ import annotations

import numpy as np

from quantdesk.backtest._fills import close_position
from quantdesk.backtest._layout import (
    EXTREME,
    HAS_LEVELS,
    OHLC_PATH,
    OPEN,
    OPTIMISTIC,
    POLICY,
    QTY,
    STOP,
    STOP_LOSS,
    TAKE_PROFIT,
    TARGET,
    TRAIL_FRACTION,
    TRAILING_STOP,
    Quad,
    helper,
)


@helper
def _effective_stop(
    j: int, o: float, side: float, state: np.ndarray, cfg: np.ndarray
) -> tuple[float, int]:
    # the tighter of the fixed stop and the trailing stop, whose extreme includes this open
    stop, reason = state[j, STOP], STOP_LOSS
    trail = cfg[TRAIL_FRACTION]
    if trail == trail:
        extreme = max(state[j, EXTREME], o) if side > 0 else min(state[j, EXTREME], o)
        trailing = extreme * (1.0 - side * trail)
        if stop != stop or side * (trailing - stop) > 0.0:
            stop, reason = trailing, TRAILING_STOP
    return stop, reason


@helper
def _exit_level(
    j: int, o: float, h: float, low: float, c: float, state: np.ndarray, cfg: np.ndarray
) -> tuple[int, float, bool]:
    # (reason, raw price, ambiguous); reason OPEN means the position survives the bar
    side = 1.0 if state[j, QTY] > 0.0 else -1.0
    stop, reason = _effective_stop(j, o, side, state, cfg)
    target = state[j, TARGET]
    if stop == stop and side * (o - stop) <= 0.0:
        return reason, o, False
    if target == target and side * (o - target) >= 0.0:
        return TAKE_PROFIT, o, False
    adverse, favourable = (low, h) if side > 0 else (h, low)
    hit_stop = stop == stop and side * (adverse - stop) <= 0.0
    hit_target = target == target and side * (favourable - target) >= 0.0
    if hit_stop and hit_target:
        if _target_first(side, o, c, cfg):
            return TAKE_PROFIT, target, True
        return reason, stop, True
    if hit_stop:
        return reason, stop, False
    if hit_target:
        return TAKE_PROFIT, target, False
    return OPEN, 0.0, False


@helper
def _target_first(side: float, o: float, c: float, cfg: np.ndarray) -> bool:
    policy = int(cfg[POLICY])
    if policy == OPTIMISTIC:
        return True
    if policy == OHLC_PATH:
        # an up bar runs open-low-high-close: a long meets its stop first, a short its target
        return (side > 0) != (c >= o)
    return False


@helper
def level_pass(
    i: int,
    bars: Quad,
    cash: float,
    state: np.ndarray,
    trades: np.ndarray,
    count: int,
    cfg: np.ndarray,
) -> tuple[float, int]:
    opens, highs, lows, closes = bars
    if cfg[HAS_LEVELS] == 0.0:
        return cash, count
    for j in range(state.shape[0]):
        if state[j, QTY] == 0.0 or opens[i, j] != opens[i, j]:
            continue
        o, h, low, c = opens[i, j], highs[i, j], lows[i, j], closes[i, j]
        reason, price, ambiguous = _exit_level(j, o, h, low, c, state, cfg)
        if reason != OPEN:
            cash = close_position(j, price, i, reason, ambiguous, cash, state, trades, count, cfg)
            count += 1
    return cash, count
