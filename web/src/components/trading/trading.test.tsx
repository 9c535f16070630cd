import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { credentialsOf } from "./BrokerSettings";
import { deploymentBody } from "./Deployments";
import { KillSwitch } from "./KillSwitch";
import { bracketProblem, newClientOrderId, orderBody, OrderTicket } from "./OrderTicket";
import { toLimits } from "./RiskLimits";
import { bracketLabel } from "./TradingTables";

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

describe("order ticket brackets", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  function json(status: number, body: unknown): Response {
    return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  }

  async function fillTicket(levels: { stopLoss: string; takeProfit: string }) {
    const user = userEvent.setup();
    render(wrap(<OrderTicket />));
    await user.type(screen.getByLabelText("Symbol"), "aapl");
    await user.selectOptions(screen.getByLabelText("Type"), "limit");
    await user.type(screen.getByLabelText("Limit price"), "100");
    await user.type(screen.getByLabelText("Stop loss"), levels.stopLoss);
    await user.type(screen.getByLabelText("Take profit"), levels.takeProfit);
    await user.click(screen.getByRole("button", { name: "Buy" }));
  }

  it("test_order_body_sends_levels_only_when_filled_in", () => {
    expect(orderBody({ ...ticket, type: "limit", stopLoss: " 95 ", takeProfit: "" })).toMatchObject({ stop_loss: "95", take_profit: null });
    expect(orderBody({ ...ticket, type: "market" })).toMatchObject({ stop_loss: null, take_profit: null });
  });

  it("test_bracket_problem_names_the_level_on_the_wrong_side", () => {
    expect(bracketProblem({ ...ticket, type: "limit", stopLoss: "101.5", takeProfit: "110" })).toEqual({
      field: "stop_loss", message: "stop_loss 101.5 must be below the limit_price 101.5: a buy bracket needs stop_loss < entry < take_profit",
    });
    expect(bracketProblem({ ...ticket, side: "sell", type: "stop", stopLoss: "105", takeProfit: "99.5" })?.field).toBe("take_profit");
    expect(bracketProblem({ ...ticket, type: "market", stopLoss: "110", takeProfit: "95" })?.message).toContain("take_profit 95 must be above stop_loss 110");
    expect(bracketProblem({ ...ticket, type: "limit", stopLoss: "95", takeProfit: "110" })).toBeNull();
    expect(bracketProblem({ ...ticket, type: "market" })).toBeNull();
  });

  it("test_ticket_levels_out_of_order_show_message_and_send_nothing", async () => {
    const fetchMock = vi.fn();
    vi.stubGlobal("fetch", fetchMock);
    await fillTicket({ stopLoss: "105", takeProfit: "110" });
    expect(screen.getByRole("alert")).toHaveTextContent("stop_loss 105 must be below the limit_price 100");
    expect(screen.getByLabelText("Stop loss")).toHaveAttribute("aria-invalid", "true");
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("test_ticket_sends_bracket_and_shows_the_api_refusal", async () => {
    const message = "stop_loss 95 must be below the last price 94: a buy bracket needs stop_loss < entry < take_profit";
    const fetchMock = vi.fn((_request: Request) => Promise.resolve(json(422, { error: { code: "validation_error", message, details: { field: "stop_loss" } } })));
    vi.stubGlobal("fetch", fetchMock);
    await fillTicket({ stopLoss: "95", takeProfit: "110" });
    expect(await screen.findByRole("alert")).toHaveTextContent(message);
    expect(screen.getByLabelText("Stop loss")).toHaveAttribute("aria-invalid", "true");
    const [request] = fetchMock.mock.calls[0] ?? [];
    expect(await request?.json()).toMatchObject({ symbol: "AAPL", type: "limit", limit_price: "100", stop_loss: "95", take_profit: "110" });
  });
});

describe("orders table", () => {
  const order: Parameters<typeof bracketLabel>[0] = { bracket: null, parent_order_id: null, stop_loss: null, take_profit: null };

  it("test_bracket_label_shows_entry_levels_and_exit_parent", () => {
    expect(bracketLabel(order)).toBe("");
    expect(bracketLabel({ ...order, bracket: "entry", stop_loss: "95.0000000000", take_profit: "110" })).toBe("Entry (SL 95 / TP 110)");
    expect(bracketLabel({ ...order, bracket: "stop_loss", parent_order_id: 7 })).toBe("Stop loss of #7");
  });
});

describe("trading forms", () => {
  it("test_risk_limits_blank_field_means_no_limit_and_kill_switch_kept", () => {
    const current = { kill_switch: true, max_order_value: "1000", max_open_orders: 5 };
    const limits = toLimits({ max_order_value: "", max_open_orders: "7", allowed_symbols: "aapl, msft" }, current);
    expect(limits).toMatchObject({ kill_switch: true, max_order_value: null, max_open_orders: 7, allowed_symbols: ["AAPL", "MSFT"] });
  });

  it("test_deployment_body_is_paper_with_chosen_feed", () => {
    const body = deploymentBody({ strategyId: 3, symbols: "aapl, ", timeframe: "1m", feed: "synthetic", speed: 60, sizing: "quantity", amount: "2" });
    expect(body).toMatchObject({ strategy_id: 3, symbols: ["AAPL"], mode: "paper", feed: { kind: "synthetic", speed: 60 }, risk_profile: { quantity: "2" } });
  });

  it("test_deployment_body_sends_only_the_chosen_sizing", () => {
    const fields = { strategyId: 3, symbols: "AAPL", timeframe: "1d", feed: "replay" as const, speed: 60, amount: "0.02" };
    expect(deploymentBody({ ...fields, sizing: "all_in" }).risk_profile).toEqual({ all_in: true });
    expect(deploymentBody({ ...fields, sizing: "risk_fraction" }).risk_profile).toEqual({ risk_fraction: "0.02" });
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
