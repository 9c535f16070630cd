import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { Schemas } from "../../api/client";
import { DeploymentDrift } from "./DeploymentDrift";

function wrap(children: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}

function trade(entry: string, price: string, exit: string | null, pnl: string | null): Schemas["DriftTradeRead"] {
  return { entry_time: entry, entry_price: price, exit_time: exit, exit_price: exit ? "11" : null, quantity: "10", pnl };
}

const matched: Schemas["DriftPairRead"] = {
  status: "matched", symbol: "AAPL", side: "long",
  backtest: trade("2024-01-09T00:00:00Z", "10", "2024-01-12T00:00:00Z", "10"),
  live: trade("2024-01-10T00:00:00Z", "10.5", "2024-01-12T00:00:00Z", "5"),
  entry_delta_bars: 1, entry_delta_seconds: 86400, exit_delta_seconds: 0,
  entry_price_difference: "0.5", exit_price_difference: "0", pnl_difference: "-5",
};
const missed: Schemas["DriftPairRead"] = {
  status: "missed", symbol: "MSFT", side: "long",
  backtest: trade("2024-01-11T00:00:00Z", "20", "2024-01-15T00:00:00Z", "30"), live: null,
  entry_delta_bars: null, entry_delta_seconds: null, exit_delta_seconds: null,
  entry_price_difference: null, exit_price_difference: null, pnl_difference: "-30",
};

function report(trades: Schemas["DriftPairRead"][]): Schemas["DeploymentDriftRead"] {
  return {
    deployment_id: 7, symbols: ["AAPL", "MSFT"], timeframe: "1d", start: "2024-01-08T00:00:00Z",
    end: "2024-01-24T00:00:00Z", bars: 34, tolerance_seconds: 86400, trades,
    totals: { backtest_trades: 2, live_trades: 1, matched: 1, missed: 1, extra: 0, backtest_pnl: "40", live_pnl: "5", pnl_difference: "-35" },
  };
}

function answer(drift: Response): void {
  vi.stubGlobal("fetch", vi.fn((request: Request) => {
    if (new URL(request.url).pathname === "/api/v1/deployments/7/drift") return Promise.resolve(drift);
    return Promise.resolve(json({ timezone: "UTC" }));
  }));
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

describe("deployment drift", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("test_drift_shows_totals_and_each_pair_sorted_by_pnl_difference", async () => {
    answer(json(report([matched, missed])));
    const user = userEvent.setup();
    render(wrap(<DeploymentDrift deploymentId={7} onClose={() => undefined} />));
    const totals = await screen.findByLabelText("Drift totals");
    expect(within(totals).getByText("Missed").nextSibling).toHaveTextContent("1");
    expect(within(totals).getByText("P&L difference").nextSibling).toHaveTextContent("-$35.00");
    const rows = () => screen.getAllByRole("row").slice(1).map((row) => row.textContent ?? "");
    expect(rows()[0]).toContain("Matched");
    expect(rows()[0]).toContain("0.5");
    expect(rows()[1]).toContain("Missed (backtest only)");
    await user.click(screen.getByRole("button", { name: /P&L Δ/ }));
    expect(rows()[0]).toContain("MSFT");
    expect(rows()[0]).toContain("-$30.00");
  });

  it("test_drift_conflict_shows_the_servers_reason", async () => {
    const reason = "deployment 7 has not run yet; start it, then its drift can be computed";
    answer(json({ error: { code: "conflict", message: reason, details: {} } }, 409));
    render(wrap(<DeploymentDrift deploymentId={7} onClose={() => undefined} />));
    expect(screen.getByRole("status")).toHaveTextContent("Loading");
    expect(await screen.findByRole("alert")).toHaveTextContent(reason);
  });

  it("test_drift_without_trades_says_so_and_close_calls_back", async () => {
    answer(json(report([])));
    const onClose = vi.fn();
    const user = userEvent.setup();
    render(wrap(<DeploymentDrift deploymentId={7} onClose={onClose} />));
    expect(await screen.findByText("Neither the backtest nor the deployment traded in this period.")).toBeInTheDocument();
    expect(screen.queryByRole("table")).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Close drift" }));
    expect(onClose).toHaveBeenCalledOnce();
  });
});
