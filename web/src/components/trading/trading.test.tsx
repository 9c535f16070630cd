import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { credentialsOf } from "./BrokerSettings";
import { deploymentBody } from "./Deployments";
import { KillSwitch } from "./KillSwitch";
import { newClientOrderId, orderBody } from "./OrderTicket";
import { toLimits } from "./RiskLimits";

function wrap(children: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}

const ticket = { clientOrderId: "web-1", symbol: " aapl ", side: "buy" as const, quantity: "5", limitPrice: "101.5", stopPrice: "99" };

describe("order ticket", () => {
  it("test_order_body_market_sends_no_prices_and_upper_case_symbol", () => {
    const body = orderBody({ ...ticket, type: "market" });
    expect(body).toMatchObject({ symbol: "AAPL", type: "market", limit_price: null, stop_price: null, quantity: "5" });
  });

  it("test_order_body_limit_and_stop_send_their_own_price", () => {
    expect(orderBody({ ...ticket, type: "limit" })).toMatchObject({ limit_price: "101.5", stop_price: null });
    expect(orderBody({ ...ticket, type: "stop" })).toMatchObject({ limit_price: null, stop_price: "99" });
  });

  it("test_client_order_id_is_new_each_time", () => {
    expect(newClientOrderId()).not.toBe(newClientOrderId());
  });
});

describe("trading forms", () => {
  it("test_risk_limits_blank_field_means_no_limit_and_kill_switch_kept", () => {
    const current = { kill_switch: true, max_order_value: "1000", max_open_orders: 5 };
    const limits = toLimits({ max_order_value: "", max_open_orders: "7", allowed_symbols: "aapl, msft" }, current);
    expect(limits).toMatchObject({ kill_switch: true, max_order_value: null, max_open_orders: 7, allowed_symbols: ["AAPL", "MSFT"] });
  });

  it("test_deployment_body_is_paper_with_chosen_feed", () => {
    const body = deploymentBody({ strategyId: 3, symbols: "aapl, ", timeframe: "1m", feed: "synthetic", speed: 60, quantity: "2" });
    expect(body).toMatchObject({ strategy_id: 3, symbols: ["AAPL"], mode: "paper", feed: { kind: "synthetic", speed: 60 }, risk_profile: { quantity: "2" } });
  });

  it("test_broker_credentials_skip_unnamed_fields", () => {
    expect(credentialsOf([{ name: " key ", value: "s" }, { name: "", value: "x" }])).toEqual({ key: "s" });
  });
});

describe("kill switch", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("test_kill_switch_posts_only_after_confirmation", async () => {
    const fetchMock = vi.fn(() => Promise.resolve(new Response(JSON.stringify({ on: true, cancelled: 2 }), { headers: { "Content-Type": "application/json" } })));
    vi.stubGlobal("fetch", fetchMock);
    const user = userEvent.setup();
    render(wrap(<KillSwitch engaged={false} />));
    await user.click(screen.getByRole("button", { name: "Kill switch…" }));
    expect(fetchMock).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Confirm kill switch" }));
    expect(await screen.findByText("Kill switch engaged; 2 orders cancelled.")).toBeInTheDocument();
    expect(fetchMock).toHaveBeenCalledOnce();
  });

  it("test_kill_switch_keep_trading_closes_dialog_without_request", async () => {
    const fetchMock = vi.fn();
    vi.stubGlobal("fetch", fetchMock);
    const user = userEvent.setup();
    render(wrap(<KillSwitch engaged={false} />));
    await user.click(screen.getByRole("button", { name: "Kill switch…" }));
    await user.click(screen.getByRole("button", { name: "Keep trading" }));
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
