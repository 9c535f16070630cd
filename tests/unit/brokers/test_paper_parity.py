"""Backtest/paper parity: replaying bars through the paper broker trades as the backtest does."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from quantdesk.backtest import Commission, FixedQuantity, Slippage, run
from quantdesk.backtest.engine import strategy_signals
from quantdesk.bars import Bars
from quantdesk.brokers.paper import PaperBroker
from quantdesk.strategies.registry import get
from quantdesk.trading.fills import Bar, FillRules
from quantdesk.trading.money import as_decimal, quantize
from quantdesk.trading.orders import Fill, Order, Side
from tests.fixtures.backtest import synthetic_bars
from tests.fixtures.brokers import collect

PARAMS = {"fast": 5, "slow": 20}
COMMISSION = Commission(fraction=0.001, fixed=1.0)
SLIPPAGE = Slippage(bps=5)
QUANTITY = 10


async def _paper_fills(bars: Bars) -> list[Fill]:
    signals = strategy_signals(get("sma_cross")(PARAMS), "SYN", bars)
    broker = PaperBroker(FillRules(commission=COMMISSION, slippage=SLIPPAGE))
    await broker.connect()
    for i in range(len(bars)):
        broker.on_bar("SYN", _bar(bars, i))
        held = broker.portfolio.quantity("SYN")
        if held > 0 and signals.exits[i]:
            await broker.submit(_order(f"x{i}", Side.SELL, held))
        elif held == 0 and signals.entries[i] and not signals.exits[i]:
            await broker.submit(_order(f"e{i}", Side.BUY, Decimal(QUANTITY)))
    return [event.fill for event in await collect(broker) if event.fill is not None]


def _bar(bars: Bars, i: int) -> Bar:
    return Bar.of(
        float(bars.open[i]), float(bars.high[i]), float(bars.low[i]), float(bars.close[i])
    )


def _order(client_order_id: str, side: Side, quantity: Decimal) -> Order:
    return Order(client_order_id=client_order_id, symbol="SYN", side=side, quantity=quantity)


def _engine_fills(bars: Bars) -> list[tuple[Decimal, Decimal, float]]:
    result = run(
        "sma_cross", bars, PARAMS, commission=COMMISSION, slippage=SLIPPAGE,
        size=FixedQuantity(QUANTITY),
    )  # fmt: skip
    fills: list[tuple[Decimal, Decimal, float]] = []
    for trade in result.trades:
        quantity = as_decimal(float(trade["quantity"]))
        fills.append(
            (quantity, quantize(as_decimal(float(trade["entry_price"]))), trade["entry_fees"])
        )
        fills.append(
            (quantity, quantize(as_decimal(float(trade["exit_price"]))), trade["exit_fees"])
        )
    for position in result.positions:
        price = quantize(as_decimal(float(position["entry_price"])))
        fills.append((as_decimal(float(position["quantity"])), price, position["entry_fees"]))
    return fills


@pytest.mark.parametrize("seed", [3, 11])
async def test_paper_replay_sma_cross_equals_backtest_fills(seed: int) -> None:
    bars = synthetic_bars(1_500, seed=seed)
    expected = _engine_fills(bars)
    fills = await _paper_fills(bars)
    assert len(expected) > 10
    assert [(f.quantity, f.price) for f in fills] == [(q, p) for q, p, _ in expected]
    fees = np.array([float(f.commission) for f in fills])
    np.testing.assert_allclose(fees, [fee for _, _, fee in expected], rtol=1e-9)
