"""Built-in strategies; importing this package registers them."""

from quantdesk.strategies.builtin.ema_cross import EmaCross
from quantdesk.strategies.builtin.sma_cross import SmaCross

__all__ = ["EmaCross", "SmaCross"]
