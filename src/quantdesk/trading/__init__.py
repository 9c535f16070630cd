"""Orders and their state machine, fill rules shared with the backtest, risk and portfolio.

Pure library: exact ``Decimal`` money, no database, no network. The service layer converts
these values to and from the ``orders``, ``fills``, ``positions`` and ``risk_locks`` tables.
"""

from quantdesk.trading.orders import (
    Bracket,
    Fill,
    Order,
    OrderEvent,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from quantdesk.trading.state import (
    Accepted,
    Cancelled,
    Event,
    Expired,
    Filled,
    IllegalTransitionError,
    Rejected,
    TimedOut,
    transition,
)

__all__ = [
    "Accepted",
    "Bracket",
    "Cancelled",
    "Event",
    "Expired",
    "Fill",
    "Filled",
    "IllegalTransitionError",
    "Order",
    "OrderEvent",
    "OrderStatus",
    "OrderType",
    "Rejected",
    "Side",
    "TimeInForce",
    "TimedOut",
    "transition",
]
