import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Schemas } from "../../api/client";
import { TradingOverview } from "../../pages/Overview";
import { accountLabel } from "./AccountSelect";
import { AccountsTable } from "./TradingTables";

function wrap(children: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return <QueryClientProvider client={client}><MemoryRouter>{children}</MemoryRouter></QueryClientProvider>;
}

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
}

function totals(account: string, equity: string, total: string): Schemas["AccountPnlRead"] {
  return {
    account, initial_cash: "100000", equity, cash: equity, realized_pnl: total, unrealized_pnl: "0",
    total_pnl: total, net_exposure: "0", gross_exposure: "0",
  };
}

const manual = totals("default", "100040", "40");
const deployed = totals("deployment-3", "99950", "-50");

function report(account: string | null, accounts: Schemas["AccountPnlRead"][]): Schemas["PnlRead"] {
  const sum = (pick: (a: Schemas["AccountPnlRead"]) => string) => String(accounts.reduce((s, a) => s + Number(pick(a)), 0));
  return {
    mode: "paper", account, initial_cash: sum((a) => a.initial_cash), equity: sum((a) => a.equity),
    cash: sum((a) => a.cash), realized_pnl: sum((a) => a.realized_pnl), unrealized_pnl: "0",
    total_pnl: sum((a) => a.total_pnl), net_exposure: "0", gross_exposure: "0", daily: [], accounts,
  };
}

function position(id: number, account: string): Schemas["PositionRead"] {
  return {
    id, symbol: `SYM${id}`, mode: "paper", account, quantity: "1", average_price: "10", cost_basis: "10",
    realized_pnl: "0", unrealized_pnl: "0", last_price: "10", opened_at: null,
  };
}

const requests: URL[] = [];

function answer(): void {
  vi.stubGlobal("fetch", vi.fn((request: Request) => {
    const url = new URL(request.url);
    requests.push(url);
    const account = url.searchParams.get("account");
    if (url.pathname === "/api/v1/pnl") {
      const chosen = [manual, deployed].filter((a) => account === null || a.account === account);
      return Promise.resolve(json(report(account, chosen)));
    }
    if (url.pathname === "/api/v1/positions") {
      const all = [position(1, "default"), position(2, "deployment-3")];
      return Promise.resolve(json(all.filter((p) => account === null || p.account === account)));
    }
    if (url.pathname === "/api/v1/orders" || url.pathname === "/api/v1/deployments") {
      return Promise.resolve(json({ items: [], total: 0, limit: 50, offset: 0 }));
    }
    return Promise.resolve(json({ timezone: "UTC" }));
  }));
}

class SilentSocket {
  binaryType = "";
  readyState = 0;
  send(): void {}
  close(): void {}
}

describe("accounts in the P&L, positions and trades views", () => {
  beforeEach(() => {
    requests.length = 0;
    vi.stubGlobal("WebSocket", SilentSocket);
  });

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("test_account_label_names_deployments_and_the_default_account", () => {
    expect(accountLabel("deployment-12")).toBe("Deployment #12");
    expect(accountLabel("default")).toBe("Default (manual orders)");
    expect(accountLabel("swing")).toBe("swing");
  });

  it("test_overview_sums_all_accounts_then_narrows_to_the_chosen_one", async () => {
    answer();
    const user = userEvent.setup();
    render(wrap(<TradingOverview />));
    const equity = async () => (await screen.findByText("Equity")).nextSibling;
    await waitFor(async () => expect(await equity()).toHaveTextContent("$199,990.00"));
    const select = screen.getByLabelText("Account");
    await waitFor(() => expect(within(select).getAllByRole("option").map((o) => o.textContent)).toEqual([
      "All paper accounts", "Default (manual orders)", "Deployment #3",
    ]));
    expect(await screen.findByText("SYM1")).toBeInTheDocument();
    expect(screen.getByText("SYM2")).toBeInTheDocument();

    await user.selectOptions(select, "deployment-3");
    await waitFor(async () => expect(await equity()).toHaveTextContent("$99,950.00"));
    await waitFor(() => expect(screen.queryByText("SYM1")).not.toBeInTheDocument());
    expect(screen.getByText("SYM2")).toBeInTheDocument();
    const pnl = requests.find((url) => url.pathname === "/api/v1/pnl" && url.searchParams.has("account"));
    expect(pnl?.searchParams.get("account")).toBe("deployment-3");
    const positions = requests.find((url) => url.pathname === "/api/v1/positions" && url.searchParams.has("account"));
    expect(positions?.searchParams.get("mode")).toBe("paper");
  });

  it("test_accounts_table_shows_each_accounts_money", () => {
    render(wrap(<AccountsTable accounts={[manual, deployed]} />));
    const rows = screen.getAllByRole("row").slice(1).map((row) => row.textContent ?? "");
    expect(rows[0]).toContain("Default (manual orders)");
    expect(rows[0]).toContain("$100,040.00");
    expect(rows[1]).toContain("Deployment #3");
    expect(rows[1]).toContain("-$50.00");
  });
});
