"""Orders and their state machine, fill rules shared with the backtest, risk and portfolio.

Pure library: exact ``Decimal`` money, no database, no network. The service layer converts
these values to and from the ``orders``, ``fills``, ``positions`` and ``risk_locks`` tables.
"""

from quantdesk.trading.fills import Bar, BarFill, FillRules, match, match_exit
from quantdesk.trading.instruments import check_order_steps, check_price, check_quantity
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
from quantdesk.trading.portfolio import LedgerEntry, Portfolio, Position
from quantdesk.trading.protections import Lock, ProtectionRules, Protections
from quantdesk.trading.risk import RiskContext, RiskLimits, RiskRejectedError, check_order
from quantdesk.trading.sizing import size_all_in, size_by_risk
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
    "Bar",
    "BarFill",
    "Bracket",
    "Cancelled",
    "Event",
    "Expired",
    "Fill",
    "FillRules",
    "Filled",
    "IllegalTransitionError",
    "LedgerEntry",
    "Lock",
    "Order",
    "OrderEvent",
    "OrderStatus",
    "OrderType",
    "Portfolio",
    "Position",
    "ProtectionRules",
    "Protections",
    "Rejected",
    "RiskContext",
    "RiskLimits",
    "RiskRejectedError",
    "Side",
    "TimeInForce",
    "TimedOut",
    "check_order",
    "check_order_steps",
    "check_price",
    "check_quantity",
    "match",
    "match_exit",
    "size_all_in",
    "size_by_risk",
    "transition",
]
