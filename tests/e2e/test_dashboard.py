"""The dashboard in a real browser against the real server: the path a new user takes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.dashboard import Console, bars_csv, screenshot

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


def _sign_up(page: Page) -> None:
    page.goto("/backtests")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fbacktests"))
    screenshot(page, "01-login")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Full name (optional)").fill("Test Trader")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/backtests$"))


def _import_csv(page: Page, csv: Path) -> None:
    page.get_by_role("link", name="Market data").click()
    page.get_by_label("File", exact=True).set_input_files(str(csv))
    expect(page.get_by_role("table", name="First 10 rows of the file")).to_be_visible()
    page.get_by_label("Symbol", exact=True).first.fill("E2E")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="400 rows, 400 new")).to_be_visible()
    expect(page.get_by_role("cell", name="E2E", exact=True)).to_be_visible()
    screenshot(page, "02-market-data")


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


def _run_backtest(page: Page) -> None:
    page.get_by_role("link", name="Backtests").click()
    page.get_by_role("button", name="Run backtest").click()
    expect(page).to_have_url(re.compile(r"/backtests/\d+$"), timeout=30_000)
    expect(page.locator("h1 + .status")).to_contain_text(re.compile("queued|running|succeeded"))
    status = page.locator("h1 + .status")
    expect(status).to_have_text(re.compile("^(succeeded|failed)$"), timeout=60_000)
    assert status.inner_text() == "succeeded", page.get_by_role("alert").all_inner_texts()
    expect(page.get_by_text("Total return")).to_be_visible()
    chart = page.get_by_role("img", name="Equity curve")
    expect(chart.locator("canvas").first).to_be_visible()
    page.wait_for_timeout(300)
    assert chart.evaluate(CANVAS_COLOURS) > 3
    expect(page.get_by_role("table", name="Trades")).to_be_visible()
    screenshot(page, "04-backtest")


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


def _kill_switch(page: Page) -> None:
    page.get_by_role("button", name="Kill switch…").click()
    expect(page.get_by_role("alertdialog")).to_contain_text("cancel every open order")
    screenshot(page, "09-kill-switch-confirm")
    page.get_by_role("button", name="Confirm kill switch").click()
    expect(page.get_by_role("status").filter(has_text="Kill switch engaged")).to_be_visible()
    expect(page.get_by_role("button", name="Release kill switch")).to_be_visible()
    screenshot(page, "10-kill-switch-engaged")


def test_dashboard_new_user_flow_backtest_shows_metrics_and_equity(
    page: tuple[Page, Console], tmp_path: Path
) -> None:
    browser_page, console = page
    _sign_up(browser_page)
    _import_csv(browser_page, bars_csv(tmp_path / "e2e.csv"))
    _create_rules_strategy(browser_page, console)
    _run_backtest(browser_page)
    _visit_other_pages(browser_page)
    _trade_on_paper(browser_page)
    _kill_switch(browser_page)
    browser_page.reload()
    expect(browser_page.get_by_role("button", name="Release kill switch")).to_be_visible()
    assert console.errors == []
