"""IB translation: contracts from symbols, order fields, status mapping and executions."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import ib_async
import pytest

from quantdesk.brokers.ib_mapping import contract_for, fill_of, ib_order_of, status_of, symbol_of
from quantdesk.errors import ValidationError
from quantdesk.trading.orders import OrderStatus, OrderType, Side, TimeInForce
from tests.fixtures.trading import make_order

S = OrderStatus


@pytest.mark.parametrize(
    ("symbol", "kind", "fields"),
    [
        ("AAPL", "STK", {"symbol": "AAPL", "exchange": "SMART", "currency": "USD"}),
        ("EUR.USD", "CASH", {"symbol": "EUR", "currency": "USD", "exchange": "IDEALPRO"}),
        (
            "ES@CME:202512",
            "FUT",
            {"symbol": "ES", "exchange": "CME", "lastTradeDateOrContractMonth": "202512"},
        ),
    ],
)
def test_contract_for_symbol_forms_builds_matching_contract(
    symbol: str, kind: str, fields: dict[str, str]
) -> None:
    contract = contract_for(symbol)
    assert contract.secType == kind
    assert {name: getattr(contract, name) for name in fields} == fields


def test_contract_for_malformed_future_names_the_format() -> None:
    with pytest.raises(ValidationError, match="ROOT@EXCHANGE:YYYYMM"):
        contract_for("ES@CME")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"order_type": OrderType.MARKET}, {"orderType": "MKT"}),
        (
            {"order_type": OrderType.LIMIT, "limit_price": "189.5"},
            {"orderType": "LMT", "lmtPrice": 189.5},
        ),
        (
            {"order_type": OrderType.STOP, "stop_price": 180},
            {"orderType": "STP", "auxPrice": 180.0},
        ),
        (
            {"order_type": OrderType.STOP_LIMIT, "stop_price": 180, "limit_price": 179},
            {"orderType": "STP LMT", "auxPrice": 180.0, "lmtPrice": 179.0},
        ),
        (
            {"order_type": OrderType.TRAILING_STOP, "trail_amount": 2},
            {"orderType": "TRAIL", "auxPrice": 2.0},
        ),
        (
            {"order_type": OrderType.TRAILING_STOP, "trail_percent": "0.02"},
            {"orderType": "TRAIL", "trailingPercent": 2.0},
        ),
        ({"time_in_force": TimeInForce.IOC}, {"tif": "IOC"}),
        ({"oco_group": "g1"}, {"ocaGroup": "g1", "ocaType": 1}),
    ],
)
def test_ib_order_of_order_fields_maps_to_ib_fields(
    fields: dict[str, object], expected: dict[str, object]
) -> None:
    ib_order = ib_order_of(
        make_order("c1", side=Side.SELL, quantity=7, **fields), account="DU1", parent_id=9
    )
    assert {name: getattr(ib_order, name) for name in expected} == expected
    assert (ib_order.action, ib_order.totalQuantity, ib_order.orderRef) == ("SELL", 7.0, "c1")
    assert (ib_order.account, ib_order.parentId) == ("DU1", 9)


@pytest.mark.parametrize(
    ("ib_status", "filled", "accepted", "expected"),
    [
        ("PendingSubmit", 0, False, None),
        ("PreSubmitted", 0, False, S.ACCEPTED),
        ("Submitted", 0, True, S.ACCEPTED),
        ("Submitted", 5, True, S.PARTIALLY_FILLED),
        ("Filled", 10, True, S.FILLED),
        ("PendingCancel", 0, True, None),
        ("Cancelled", 0, True, S.CANCELLED),
        ("ApiCancelled", 0, True, S.CANCELLED),
        ("Cancelled", 0, False, S.REJECTED),
        ("Inactive", 0, False, S.REJECTED),
        ("Inactive", 0, True, S.CANCELLED),
    ],
)
def test_status_of_ib_status_maps_to_order_status(
    ib_status: str, filled: float, accepted: bool, expected: OrderStatus | None
) -> None:
    assert status_of(ib_status, filled, accepted=accepted) is expected


def test_status_of_unknown_status_is_refused() -> None:
    with pytest.raises(ValidationError, match="Bogus"):
        status_of("Bogus", 0, accepted=True)


def test_fill_of_execution_uses_exec_id_side_and_exact_price() -> None:
    at = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
    execution = ib_async.Execution(execId="e.1", side="SLD", shares=3.0, price=189.51)
    fill = fill_of(execution, "c1", "AAPL", 1.25, at)
    assert (fill.fill_id, fill.side, fill.quantity, fill.price) == (
        "e.1",
        Side.SELL,
        Decimal(3),
        Decimal("189.51"),
    )
    assert fill.commission == Decimal("1.25")


@pytest.mark.parametrize("symbol", ["AAPL", "EUR.USD", "ES@CME:202512"])
def test_symbol_of_contract_for_round_trips(symbol: str) -> None:
    assert symbol_of(contract_for(symbol)) == symbol
