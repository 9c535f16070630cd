"""Shared layout of the compiled loop: config slots, codes, state columns, trade records.

Scalar options reach the kernel in one float64 ``config`` vector indexed by the slots
below, so the kernel signature stays fixed and a sweep can call it many times with new
signal arrays. Per-symbol state is a (symbols x STATE_SIZE) float64 array.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
from numba import njit

F = TypeVar("F", bound=Callable[..., Any])

Quad = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
Triple = tuple[np.ndarray, np.ndarray, np.ndarray]

# Helpers are inlined and the kernel runs without reference counting (``_nrt``, an option
# numba's stubs omit): it allocates nothing, and counting references to every array at
# every helper call made the loop ten times slower.
helper = cast(Callable[[F], F], njit(inline="always", nogil=True))
_KERNEL_OPTIONS: dict[str, Any] = {"cache": True, "nogil": True, "_nrt": False}
compiled = cast(Callable[[F], F], njit(**_KERNEL_OPTIONS))

# config slots
INITIAL_CASH = 0
FILL_AT_CLOSE = 1
FEE_RATE = 2
FEE_FIXED = 3
SLIP_RATE = 4
SLIP_AMOUNT = 5
SIZE_MODE = 6
SIZE_VALUE = 7
SIZE_MULTIPLE = 8
WHOLE_UNITS = 9
ALLOW_SHORT = 10
STOP_FRACTION = 11
TARGET_FRACTION = 12
TRAIL_FRACTION = 13
POLICY = 14
MAX_POSITION = 15
LEVERAGE = 16
HAS_LEVELS = 17
CONFIG_SIZE = 18

# size modes
ALL_IN = 0
EQUITY_FRACTION = 1
FIXED_QUANTITY = 2
FIXED_CASH = 3
VOLATILITY_TARGET = 4
STOP_RISK = 5

# intrabar policies
PESSIMISTIC = 0
OPTIMISTIC = 1
OHLC_PATH = 2

# exit reasons, in the order of EXIT_REASONS
OPEN = 0
SIGNAL = 1
STOP_LOSS = 2
TAKE_PROFIT = 3
TRAILING_STOP = 4
EXIT_REASONS = ("open", "signal", "stop_loss", "take_profit", "trailing_stop")

# per-symbol state columns
QTY = 0
ENTRY_PRICE = 1
ENTRY_FEES = 2
ENTRY_ROW = 3
STOP = 4
TARGET = 5
EXTREME = 6
MARK = 7
LAST_ROW = 8
STATE_SIZE = 9

TRADE_DTYPE = np.dtype(
    [
        ("symbol", np.int64),
        ("side", np.int64),
        ("entry_index", np.int64),
        ("exit_index", np.int64),
        ("entry_price", np.float64),
        ("exit_price", np.float64),
        ("quantity", np.float64),
        ("entry_fees", np.float64),
        ("exit_fees", np.float64),
        ("pnl", np.float64),
        ("return", np.float64),
        ("exit_reason", np.int64),
        ("ambiguous", np.bool_),
    ]
)
