"""Built-in strategies; importing this package registers them."""

from quantdesk.strategies.builtin.bollinger_breakout import BollingerBreakout
from quantdesk.strategies.builtin.bollinger_reversion import BollingerReversion
from quantdesk.strategies.builtin.donchian_breakout import DonchianBreakout
from quantdesk.strategies.builtin.ema_cross import EmaCross
from quantdesk.strategies.builtin.macd_cross import MacdCross
from quantdesk.strategies.builtin.rsi_reversion import RsiReversion
from quantdesk.strategies.builtin.rules import Rules
from quantdesk.strategies.builtin.sma_cross import SmaCross
from quantdesk.strategies.builtin.supertrend import SupertrendStrategy

__all__ = [
    "BollingerBreakout",
    "BollingerReversion",
    "DonchianBreakout",
    "EmaCross",
    "MacdCross",
    "RsiReversion",
    "Rules",
    "SmaCross",
    "SupertrendStrategy",
]
