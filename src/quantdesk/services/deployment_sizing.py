"""How a deployment sizes an entry, and the backtest sizing rule that sizes it the same way.

A deployment's ``risk_profile`` holds exactly one of three choices. Each is sized when the
signal bar closes, from that bar's close: the order fills at the next bar's open, which
nobody knows yet.

* ``quantity``: that many units, always; the backtest's ``FixedQuantity``.
* ``risk_fraction``: :func:`~quantdesk.trading.sizing.size_by_risk` from the close to the
  strategy's ``stop_loss`` at that bar, on the account's equity, in whole units. Without a
  stop, or with one not below the close, the entry is refused. The backtest's ``StopRisk``
  sizes from the same close and stop, so a replay trades the same quantities while its
  buying-power cap does not bind (a deployment's order meets the risk limits instead).
* ``all_in``: the account's cash, net of the broker's commission, at the close worsened
  by its slippage, rounded down to the instrument's lot size (fractional without one):
  :func:`~quantdesk.trading.sizing.size_all_in`. The backtest's ``AllIn`` (whole units when
  the instrument has a lot size) sizes at the fill price, so the two agree when the next
  open equals the close; a gap shows in drift as a quantity difference. Cash is read per
  order, so it suits a deployment of one symbol.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol, runtime_checkable

from quantdesk.backtest import AllIn, FixedQuantity, Sizing, StopRisk
from quantdesk.db.repositories.instruments import InstrumentRepository
from quantdesk.ports.broker import Broker
from quantdesk.services.context import ServiceContext
from quantdesk.services.deployments import SizingSpec
from quantdesk.services.instruments import normalize_symbol
from quantdesk.trading.fills import FillRules, slipped
from quantdesk.trading.money import ZERO
from quantdesk.trading.orders import Side
from quantdesk.trading.sizing import size_all_in, size_by_risk

__all__ = ["backtest_size", "entry_size", "lot_sizes", "no_size", "rules_of"]


@runtime_checkable
class _RuledBroker(Protocol):
    rules: FillRules


def rules_of(broker: object) -> FillRules:
    """A paper broker's fill rules; a live broker fills at a real market and has none."""
    return broker.rules if isinstance(broker, _RuledBroker) else FillRules()


async def lot_sizes(ctx: ServiceContext, symbols: Sequence[str]) -> dict[str, Decimal | None]:
    """The lot size of each symbol's instrument (no exchange); None when it has none."""
    repository = InstrumentRepository(ctx.session)
    sizes: dict[str, Decimal | None] = {}
    for symbol in symbols:
        instrument = await repository.get_by_symbol(normalize_symbol(symbol), "")
        sizes[symbol] = instrument.lot_size if instrument is not None else None
    return sizes


async def entry_size(
    broker: Broker,
    sizing: SizingSpec,
    close: Decimal,
    stop: Decimal | None,
    lot_size: Decimal | None = None,
) -> Decimal:
    """The quantity of a long entry signalled at ``close``; zero refuses it (:func:`no_size`)."""
    if sizing.quantity is not None:
        return sizing.quantity
    if sizing.all_in:
        cash = (await broker.account()).cash
        rules = rules_of(broker)
        return size_all_in(cash, slipped(close, Side.BUY, rules), rules, lot_size)
    if stop is None or sizing.risk_fraction is None or stop >= close:
        return ZERO
    equity = (await broker.account()).equity
    return size_by_risk(equity, close, stop, sizing.risk_fraction)


def no_size(sizing: SizingSpec, stop: Decimal | None, close: Decimal) -> str:
    """Why :func:`entry_size` came out as zero, and what to change."""
    if sizing.all_in:
        return f"all_in: the account's cash buys not one lot at {close} after fees"
    if stop is None:
        return (
            f"risk_fraction {sizing.risk_fraction} needs the strategy's stop_loss at the entry "
            "bar and it gave none; size by quantity, or use a strategy that sets stops"
        )
    if stop >= close:
        return f"stop_loss {stop} is not below the close {close}; a long entry needs it below"
    return f"one unit risks more than {sizing.risk_fraction} of equity at stop_loss {stop}"


def backtest_size(sizing: SizingSpec) -> Sizing:
    """The backtest sizing rule of a deployment's sizing (see the module's notes)."""
    if sizing.quantity is not None:
        return FixedQuantity(float(sizing.quantity))
    if sizing.risk_fraction is not None:
        return StopRisk(float(sizing.risk_fraction))
    return AllIn()
