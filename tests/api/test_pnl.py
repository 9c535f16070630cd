"""P&L, positions and trades across a user's accounts: all of the mode by default, or one."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from quantdesk.brokers.paper import PaperBroker
from quantdesk.trading.fills import Bar
from tests.fixtures.deployments import CROSSING_CLOSES, DEPLOYMENTS_URL, create_deployment
from tests.fixtures.orders import BAR_TIME, eventually, submit
from tests.fixtures.stored_bars import StoreDaily
from tests.fixtures.users import SignedInUser, SignIn

pytest_plugins = ["tests.fixtures.stored_bars"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

PNL_URL = "/api/v1/pnl"
MONEY = (
    "initial_cash",
    "equity",
    "cash",
    "realized_pnl",
    "unrealized_pnl",
    "total_pnl",
    "net_exposure",
    "gross_exposure",
)


async def _bar(app: FastAPI, user: SignedInUser, price: float, day: int) -> None:
    broker = await app.state.trading.broker(user.id, "paper")
    assert isinstance(broker, PaperBroker)
    broker.on_bar("AAPL", Bar.of(price, price, price, price), at=BAR_TIME + timedelta(days=day))


async def _get(client: httpx.AsyncClient, user: SignedInUser, url: str, **query: Any) -> Any:
    response = await client.get(url, params=query, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _filled(client: httpx.AsyncClient, user: SignedInUser, count: int) -> None:
    async def done() -> bool:
        orders = await _get(client, user, "/api/v1/orders")
        statuses: list[str] = [order["status"] for order in orders["items"]]
        return statuses.count("filled") == count

    await eventually(done)


async def _two_accounts(app: FastAPI, client: httpx.AsyncClient, user: SignedInUser) -> None:
    """default: long 10 at 100 on day 0, sold at 104 on day 1. swing (50 000 of cash): short 5
    at 100 on day 0, 2 bought back at 110 on day 2."""
    config = {"account": "swing", "limits": {}, "initial_cash": "50000"}
    put = await client.put("/api/v1/trading/config", json=config, headers=user.headers)
    assert put.status_code == 200
    await submit(client, user, "d1")
    await submit(client, user, "s1", side="sell", quantity="5", account="swing")
    await _bar(app, user, 100.0, 0)
    await _filled(client, user, 2)
    await submit(client, user, "d2", side="sell")
    await _bar(app, user, 104.0, 1)
    await _filled(client, user, 3)
    await submit(client, user, "s2", quantity="2", account="swing")
    await _bar(app, user, 110.0, 2)
    await _filled(client, user, 4)


async def test_pnl_without_account_is_the_exact_sum_of_each_accounts_report(
    app: FastAPI, client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    await _two_accounts(app, client, user)
    whole = await _get(client, user, PNL_URL, days=3660)
    default = await _get(client, user, PNL_URL, account="default", days=3660)
    swing = await _get(client, user, PNL_URL, account="swing", days=3660)
    assert (whole["account"], [a["account"] for a in whole["accounts"]]) == (
        None,
        ["default", "swing"],
    )
    for name in MONEY:
        assert Decimal(whole[name]) == Decimal(default[name]) + Decimal(swing[name]), name
    assert whole["accounts"] == default["accounts"] + swing["accounts"]
    expected = {"equity": "149990", "cash": "150320", "total_pnl": "-10", "net_exposure": "-330"}
    assert {name: Decimal(whole[name]) for name in expected} == {
        name: Decimal(value) for name, value in expected.items()
    }
    assert Decimal(whole["gross_exposure"]) == Decimal(330)


async def test_pnl_without_account_sums_daily_pnl_by_day_carrying_closes_forward(
    app: FastAPI, client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    await _two_accounts(app, client, user)
    whole = await _get(client, user, PNL_URL, days=3660)
    parts = [
        await _get(client, user, PNL_URL, account=name, days=3660) for name in ("default", "swing")
    ]
    days = sorted({d["day"] for part in parts for d in part["daily"]})
    assert [d["day"] for d in whole["daily"]] == days
    for row in whole["daily"]:
        same_day = [d for part in parts for d in part["daily"] if d["day"] == row["day"]]
        assert Decimal(row["pnl"]) == sum((Decimal(d["pnl"]) for d in same_day), Decimal(0))
        closes = [[d for d in part["daily"] if d["day"] <= row["day"]] for part in parts]
        standing = [
            Decimal(c[-1]["equity"]) if c else Decimal(part["initial_cash"])
            for c, part in zip(closes, parts, strict=True)
        ]
        assert Decimal(row["equity"]) == sum(standing, Decimal(0))
    series = [(Decimal(d["equity"]), Decimal(d["pnl"])) for d in whole["daily"]]
    assert series == [
        (Decimal(150000), Decimal(0)),
        (Decimal(150040), Decimal(40)),
        (Decimal(149990), Decimal(-50)),
    ]


async def test_pnl_without_account_includes_a_paper_deployments_closed_trade(
    app: FastAPI, client: httpx.AsyncClient, sign_in: SignIn, store_daily: StoreDaily
) -> None:
    user = await sign_in()
    await store_daily("AAPL", CROSSING_CLOSES)
    deployment_id = (await create_deployment(client, user)).json()["id"]
    started = await client.post(f"{DEPLOYMENTS_URL}/{deployment_id}/start", headers=user.headers)
    assert started.status_code == 200, started.text
    await app.state.deployments.wait(deployment_id)
    await _filled(client, user, 2)
    account = f"deployment-{deployment_id}"
    whole = await _get(client, user, PNL_URL, days=3660)
    alone = await _get(client, user, PNL_URL, account=account, days=3660)
    default = await _get(client, user, PNL_URL, account="default", days=3660)
    assert [a["account"] for a in whole["accounts"]] == ["default", account]
    assert Decimal(alone["realized_pnl"]) != 0
    assert (
        Decimal(whole["total_pnl"]) == Decimal(alone["total_pnl"]) == Decimal(alone["realized_pnl"])
    )
    assert Decimal(default["total_pnl"]) == 0
    trades = await _get(client, user, "/api/v1/trades", account=account)
    assert [t["status"] for t in trades["items"]] == ["closed"]
    assert Decimal(trades["items"][0]["pnl"]) == Decimal(alone["realized_pnl"])


async def test_pnl_of_one_account_reports_that_account_alone(
    app: FastAPI, client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    await _two_accounts(app, client, user)
    default = await _get(client, user, PNL_URL, account="default", days=3660)
    assert (default["mode"], default["account"]) == ("paper", "default")
    assert [a["account"] for a in default["accounts"]] == ["default"]
    figures = [Decimal(default[name]) for name in ("equity", "cash", "realized_pnl")]
    assert figures == [Decimal(100040), Decimal(100040), Decimal(40)]
    assert [(Decimal(d["equity"]), Decimal(d["pnl"])) for d in default["daily"]] == [
        (Decimal(100000), Decimal(0)),
        (Decimal(100040), Decimal(40)),
    ]


async def test_pnl_of_a_user_without_fills_is_the_default_accounts_cash(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    whole = await _get(client, user, PNL_URL)
    assert (whole["account"], [a["account"] for a in whole["accounts"]]) == (None, ["default"])
    assert (Decimal(whole["equity"]), whole["daily"]) == (Decimal(100_000), [])


async def test_pnl_positions_and_trades_never_include_another_users_accounts(
    app: FastAPI, client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    owner, other = await sign_in(), await sign_in()
    await _two_accounts(app, client, other)
    await submit(client, owner, "o1", quantity="1", account="swing")
    await _bar(app, owner, 100.0, 0)
    await _filled(client, owner, 1)
    whole = await _get(client, owner, PNL_URL, days=3660)
    assert [(a["account"], Decimal(a["equity"])) for a in whole["accounts"]] == [
        ("default", Decimal(100_000)),
        ("swing", Decimal(100_000)),
    ]
    assert Decimal(whole["net_exposure"]) == Decimal(100)
    assert await _get(client, owner, "/api/v1/positions", account="default") == []
    assert (await _get(client, owner, "/api/v1/trades", account="default"))["total"] == 0
    positions = await _get(client, owner, "/api/v1/positions")
    assert [(p["account"], Decimal(p["quantity"])) for p in positions] == [("swing", Decimal(1))]
    trades = await _get(client, owner, "/api/v1/trades")
    assert [t["account"] for t in trades["items"]] == ["swing"]


async def test_positions_and_trades_filter_by_account_and_list_all_without(
    app: FastAPI, client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    user = await sign_in()
    await _two_accounts(app, client, user)
    positions = await _get(client, user, "/api/v1/positions", include_flat=True)
    assert sorted(p["account"] for p in positions) == ["default", "swing"]
    swing = await _get(client, user, "/api/v1/positions", account="swing", mode="paper")
    assert [(p["account"], Decimal(p["quantity"])) for p in swing] == [("swing", Decimal(-3))]
    trades = await _get(client, user, "/api/v1/trades")
    assert sorted(t["account"] for t in trades["items"]) == ["default", "swing"]
    default = await _get(client, user, "/api/v1/trades", account="default")
    assert [(t["account"], t["status"], Decimal(t["pnl"])) for t in default["items"]] == [
        ("default", "closed", Decimal(40))
    ]
    live = await _get(client, user, "/api/v1/trades", mode="live")
    assert live["total"] == 0


@pytest.mark.parametrize("url", [PNL_URL, "/api/v1/positions", "/api/v1/trades"])
async def test_empty_account_filter_is_422_naming_account(
    client: httpx.AsyncClient, sign_in: SignIn, url: str
) -> None:
    user = await sign_in()
    response = await client.get(url, params={"account": ""}, headers=user.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "query.account"
