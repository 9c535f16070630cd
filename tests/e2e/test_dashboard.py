"""The dashboard in a real browser against the real server: the path a new user takes."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.dashboard import (
    TEST_REDIS_URL,
    Console,
    Traffic,
    bars_csv,
    running_feed,
    screenshot,
    wait_feeding,
)

pytestmark = pytest.mark.e2e

EMAIL = "trader@example.com"
PASSWORD = "correct-horse-battery-9"

# Distinct colours drawn on a chart's canvases: a blank chart has only its background.
CANVAS_COLOURS = """element => {
  let colours = new Set();
  for (const canvas of element.querySelectorAll('canvas')) {
    if (!canvas.width || !canvas.height) continue;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < data.length; i += 16) colours.add(data.slice(i, i + 4).join(','));
  }
  return colours.size;
}"""


def _sign_up(page: Page, email: str = EMAIL) -> None:
    page.goto("/backtests")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fbacktests"))
    screenshot(page, "01-login")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Full name (optional)").fill("Test Trader")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/backtests$"))


def _import_csv(page: Page, csv: Path, symbol: str = "E2E", shot: str = "02-market-data") -> None:
    page.get_by_role("link", name="Market data").click()
    page.get_by_label("File", exact=True).set_input_files(str(csv))
    expect(page.get_by_role("table", name="First 10 rows of the file")).to_be_visible()
    page.get_by_label("Symbol", exact=True).first.fill(symbol)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="400 rows, 400 new")).to_be_visible()
    expect(page.get_by_role("cell", name=symbol, exact=True)).to_be_visible()
    screenshot(page, shot)


def _create_rules_strategy(page: Page, console: Console) -> None:
    page.get_by_role("link", name="Strategies").click()
    page.get_by_role("link", name="New strategy").click()
    page.get_by_label("Name").fill("Trend rules")
    page.get_by_label("Type").select_option("rules")
    page.get_by_label("Symbols").fill("E2E")
    page.get_by_label("Entry", exact=True).fill("close >>> sma(20)")
    console.expect_status(422)
    page.get_by_role("button", name="Create strategy").click()
    expect(page.locator("#param-entry-hint")).to_contain_text("rules parameter entry")
    page.get_by_label("Entry", exact=True).fill("crosses_above(ema(5), ema(20))")
    page.get_by_label("Exit", exact=True).fill("crosses_below(ema(5), ema(20))")
    page.get_by_role("button", name="Create strategy").click()
    expect(page).to_have_url(re.compile(r"/strategies/\d+$"))
    screenshot(page, "03-strategy")


def _run_backtest(page: Page, traffic: Traffic) -> None:
    page.get_by_role("link", name="Backtests").click()
    page.get_by_role("button", name="Run backtest").click()
    expect(page).to_have_url(re.compile(r"/backtests/\d+$"), timeout=30_000)
    expect(page.locator("h1 + .status")).to_contain_text(
        re.compile("queued|running|succeeded"), timeout=30_000
    )
    status = page.locator("h1 + .status")
    expect(status).to_have_text(re.compile("^(succeeded|failed)$"), timeout=60_000)
    assert status.inner_text() == "succeeded", page.get_by_role("alert").all_inner_texts()
    _progress_came_over_the_socket(page, traffic)
    expect(page.get_by_text("Total return")).to_be_visible()
    chart = page.get_by_role("img", name="Equity curve")
    expect(chart.locator("canvas").first).to_be_visible()
    page.wait_for_timeout(300)
    assert chart.evaluate(CANVAS_COLOURS) > 3
    expect(page.get_by_role("table", name="Trades")).to_be_visible()
    screenshot(page, "04-backtest")


def _progress_came_over_the_socket(page: Page, traffic: Traffic) -> None:
    """The run's status and progress arrived on its job's channel, not by polling."""
    run_path = "/api/v1" + urlsplit(page.url).path
    job_frames = [f for f in traffic.frames if str(f.get("channel", "")).startswith("jobs:")]
    # the page may leave the channel once the run is done: that frame carries no state
    states = [
        f["snapshot"] if f["type"] == "subscribed" else f["data"]
        for f in job_frames
        if f["type"] != "unsubscribed"
    ]
    assert job_frames[0]["type"] == "subscribed", job_frames
    assert states[-1]["status"] == "succeeded", states
    assert any(state["status"] == "running" for state in states), states
    # One read when the page opened, one when the job finished to fetch the results.
    assert traffic.count("GET", run_path) <= 2, traffic.requests
    assert traffic.count("GET", "/api/v1/jobs") == 0


def _bar_frames(
    page: Page, traffic: Traffic, channel: str, at_least: int, seconds: float = 20
) -> list[dict[str, Any]]:
    """The channel's bar events, waiting up to ``seconds`` for ``at_least`` of them."""
    deadline = time.monotonic() + seconds
    while True:
        bars = [frame for frame in traffic.on_channel(channel) if frame.get("kind") == "bar"]
        if len(bars) >= at_least or time.monotonic() > deadline:
            return bars
        page.wait_for_timeout(200)


def _visit_other_pages(page: Page) -> None:
    page.get_by_role("link", name="Chart").click()
    page.get_by_label("Instrument").select_option("E2E")
    page.get_by_label("Add indicator").select_option("sma")
    expect(page.get_by_role("img", name="E2E 1d candles").locator("canvas").first).to_be_visible()
    screenshot(page, "05-chart")
    page.get_by_role("link", name="Overview").click()
    expect(page.get_by_role("table", name="Latest backtests")).to_be_visible()
    screenshot(page, "06-overview")
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_text(f"{EMAIL} · user")).to_be_visible()
    screenshot(page, "07-settings")


def _trade_on_paper(page: Page) -> None:
    page.get_by_role("link", name="Trading").click()
    expect(page.get_by_role("heading", name="Trading", exact=True)).to_be_visible()
    form = page.get_by_role("form", name="New deployment")
    form.get_by_label("Strategy").select_option(label="Trend rules")
    form.get_by_label("Symbols").fill("E2E")
    form.get_by_label("Timeframe").fill("1d")
    form.get_by_label("Speed").fill("8640000")
    form.get_by_role("button", name="Create deployment").click()
    expect(page.get_by_text("No orders yet.")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Start #\d+$")).click()
    recent = page.get_by_role("table", name="Recent orders")
    filled = recent.get_by_role("cell", name="filled", exact=True).first
    expect(filled).to_be_visible(timeout=30_000)
    screenshot(page, "08-trading-fill")
    # The replay ends on its own; the stop reaches the page over the events channel.
    deployments = page.get_by_role("table", name="Deployments")
    expect(deployments.get_by_role("cell", name="stopped", exact=True)).to_be_visible(
        timeout=30_000
    )
    log = page.get_by_role("list", name="Deployment events")
    expect(log).to_contain_text("deployment_stopped")
    expect(log).to_contain_text("deployment_started")
    screenshot(page, "08-trading-deployment-stopped")
    _pnl_by_account(page)


def _pnl_by_account(page: Page) -> None:
    """The P&L sums the default account and the deployment's own; one can be chosen."""
    page.reload()
    by_account = page.get_by_role("table", name="P&L by account")
    deployment = by_account.get_by_role("cell", name=re.compile(r"^Deployment #\d+$"))
    expect(deployment).to_be_visible()
    name = deployment.inner_text()
    choose = page.get_by_label("Positions, P&L and trades of")
    choose.select_option(label=name)
    expect(by_account).to_be_hidden()
    trades = page.get_by_role("table", name="Trades")
    expect(trades.get_by_role("cell", name=name, exact=True).first).to_be_visible()
    screenshot(page, "08-trading-one-account")


def _kill_switch(page: Page) -> None:
    page.get_by_role("button", name="Kill switch…").click()
    expect(page.get_by_role("alertdialog")).to_contain_text("cancel every open order")
    screenshot(page, "09-kill-switch-confirm")
    page.get_by_role("button", name="Confirm kill switch").click()
    expect(page.get_by_role("status").filter(has_text="Kill switch engaged")).to_be_visible()
    expect(page.get_by_role("button", name="Release kill switch")).to_be_visible()
    screenshot(page, "10-kill-switch-engaged")


def test_dashboard_new_user_flow_backtest_shows_metrics_and_equity(
    page: tuple[Page, Console], traffic: Traffic, tmp_path: Path
) -> None:
    browser_page, console = page
    _sign_up(browser_page)
    _import_csv(browser_page, bars_csv(tmp_path / "e2e.csv"))
    _create_rules_strategy(browser_page, console)
    _run_backtest(browser_page, traffic)
    _visit_other_pages(browser_page)
    _trade_on_paper(browser_page)
    _kill_switch(browser_page)
    browser_page.reload()
    expect(browser_page.get_by_role("button", name="Release kill switch")).to_be_visible()
    assert console.errors == []


@pytest.mark.skipif(not TEST_REDIS_URL, reason="a feed reaches the server only through Redis")
def test_dashboard_chart_last_bar_moves_with_live_feed(
    page: tuple[Page, Console], traffic: Traffic, server_env: dict[str, str], tmp_path: Path
) -> None:
    browser_page, console = page
    # A daily bar every half second, quotes every 0.2 s: after the stored bars, live ones.
    feed = ("synthetic", "LIVE", "--timeframe", "1d", "--speed", "172800", "--quote-seconds", "0.2")
    with running_feed(server_env, *feed) as process:
        _sign_up(browser_page, "live-chart@example.com")
        csv = bars_csv(tmp_path / "live.csv", seed=11)
        _import_csv(browser_page, csv, symbol="LIVE", shot="11-market-data-live")
        browser_page.get_by_role("link", name="Chart").click()
        browser_page.get_by_label("Instrument").select_option("LIVE")
        chart = browser_page.get_by_role("img", name="LIVE 1d candles")
        # Generous: the feed command starting up competes for the CPU meanwhile.
        expect(chart.locator("canvas").first).to_be_visible(timeout=45_000)
        wait_feeding(process)
        last_bar = browser_page.get_by_label("Last bar")
        for _ in range(3):
            shown, drawn = last_bar.inner_text(), chart.screenshot()
            expect(last_bar).not_to_have_text(shown, timeout=20_000)
            browser_page.wait_for_timeout(100)
            assert chart.screenshot() != drawn
        screenshot(browser_page, "12-chart-live")
        # quotes can move the forming bar three times before the next bar closes
        bars = _bar_frames(browser_page, traffic, "bars:LIVE:1d", at_least=2)
    assert len(bars) >= 2
    assert console.errors == []
