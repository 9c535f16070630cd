import { useMutation, useQuery, useQueryClient, type QueryKey } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";

import { api, unwrap, type Schemas } from "../../api/client";
import { liveHub } from "../../api/live";
import { useLiveTopic } from "../useLiveTopic";

/** The `events` channel's kind for a deployment's status changes and strategy notices. */
export const STRATEGY_EVENT = "strategy_event";

export const OPEN_STATUSES = new Set(["new", "accepted", "partially_filled", "unknown"]);

const keys = {
  orders: ["orders"] as const,
  positions: ["positions"] as const,
  trades: ["trades"] as const,
  pnl: ["pnl"] as const,
  config: ["trading-config"] as const,
  deployments: ["deployments"] as const,
  broker: ["broker-settings"] as const,
};

/** Refetch `queryKeys` whenever `channel` sends an event (of one of `kinds`, when given), and
 * on the snapshot after a reconnect, since events may have been missed while the socket was
 * down. The REST answer is the full state, so applying it is idempotent however events
 * interleave. */
export function useLiveRefresh(channel: string, queryKeys: QueryKey[], kinds?: string[]): void {
  const client = useQueryClient();
  const dropped = useRef(false);
  useEffect(() => liveHub.onConnection((connected) => {
    if (!connected) dropped.current = true;
  }), []);
  useLiveTopic(channel, (message) => {
    if (message.kind === "snapshot") {
      if (!dropped.current) return;
      dropped.current = false;
    } else if (kinds && !kinds.includes(message.kind)) return;
    for (const queryKey of queryKeys) void client.invalidateQueries({ queryKey });
  });
}

export function useOrders(limit = 100) {
  useLiveRefresh("orders", [keys.orders, keys.trades]);
  return useQuery({
    queryKey: [...keys.orders, limit],
    queryFn: async () => unwrap(await api.GET("/api/v1/orders", { params: { query: { limit } } })),
  });
}

/** One paper account by name, or null for every paper account together. The P&L report is
 * per mode (paper here), so a chosen account narrows positions and trades to paper as well. */
export type AccountChoice = string | null;

function accountQuery(account: AccountChoice): { mode?: "paper"; account?: string } {
  return account === null ? {} : { mode: "paper", account };
}

export function usePositions(account: AccountChoice = null) {
  useLiveRefresh("positions", [keys.positions]);
  return useQuery({
    queryKey: [...keys.positions, account],
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/positions", { params: { query: accountQuery(account) } })),
  });
}

export function useTrades(limit = 100, account: AccountChoice = null) {
  return useQuery({
    queryKey: [...keys.trades, limit, account],
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/trades", { params: { query: { limit, ...accountQuery(account) } } })),
  });
}

function pnlQuery(days: number, account: AccountChoice) {
  const query = { days, ...(account === null ? {} : { account }) };
  return {
    queryKey: [...keys.pnl, days, account],
    queryFn: async () => unwrap(await api.GET("/api/v1/pnl", { params: { query } })),
  };
}

/** Paper P&L of one account, or of all of them summed (the default), with each account's
 * totals in `accounts`. */
export function usePnl(days = 90, account: AccountChoice = null) {
  useLiveRefresh("pnl", [keys.pnl]);
  return useQuery(pnlQuery(days, account));
}

/** The names of the user's paper accounts, as the all-accounts P&L report lists them (kept
 * current by the `usePnl` beside it, whose refresh covers every P&L query). */
export function usePaperAccounts(days = 90): string[] {
  const all = useQuery(pnlQuery(days, null));
  return all.data?.accounts.map((a) => a.account) ?? [];
}

export function usePlaceOrder() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas["OrderCreate"]) => unwrap(await api.POST("/api/v1/orders", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.orders }),
  });
}

export function useCancelOrder() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (id: number) =>
      unwrap(await api.DELETE("/api/v1/orders/{order_id}", { params: { path: { order_id: id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.orders }),
  });
}

export function useTradingConfig() {
  return useQuery({
    queryKey: keys.config,
    queryFn: async () => unwrap(await api.GET("/api/v1/trading/config")),
  });
}

export function useSaveTradingConfig() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas["TradingConfigUpdate"]) =>
      unwrap(await api.PUT("/api/v1/trading/config", { body })),
    onSuccess: (data) => client.setQueryData(keys.config, data),
  });
}

export function useKillSwitch() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (on: boolean) =>
      unwrap(await api.POST("/api/v1/trading/kill-switch", { body: { on } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.config });
      void client.invalidateQueries({ queryKey: keys.orders });
    },
  });
}

/** The user's deployments; each status change and strategy event on `events` refetches them. */
export function useDeployments() {
  useLiveRefresh("events", [keys.deployments], [STRATEGY_EVENT]);
  return useQuery({
    queryKey: keys.deployments,
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/deployments", { params: { query: { limit: 100 } } })),
  });
}

/** One strategy event of a deployment as the `events` channel carries it. */
export interface StrategyEvent {
  deployment_id: number;
  type: string;
  severity: string;
  message: string;
  status?: string;
}

function strategyEvent(data: unknown): StrategyEvent | null {
  if (typeof data !== "object" || data === null) return null;
  const event = data as Partial<StrategyEvent>;
  const ok = typeof event.deployment_id === "number" && typeof event.type === "string" && typeof event.message === "string";
  return ok ? (event as StrategyEvent) : null;
}

/** The newest `limit` strategy events heard on `events` since the page opened, newest first,
 * each with the time it arrived. */
export function useLiveStrategyEvents(limit = 20): { event: StrategyEvent; at: number; seq: number }[] {
  const [heard, setHeard] = useState<{ event: StrategyEvent; at: number; seq: number }[]>([]);
  useLiveTopic("events", (message) => {
    const event = message.kind === STRATEGY_EVENT ? strategyEvent(message.data) : null;
    if (event) setHeard((all) => [{ event, at: Date.now(), seq: message.seq }, ...all].slice(0, limit));
  });
  return heard;
}

export function useCreateDeployment() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas["DeploymentCreate"]) =>
      unwrap(await api.POST("/api/v1/deployments", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.deployments }),
  });
}

export function useDeploymentAction() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, action }: { id: number; action: "start" | "stop" }) => {
      const params = { params: { path: { deployment_id: id } } };
      return action === "start"
        ? unwrap(await api.POST("/api/v1/deployments/{deployment_id}/start", params))
        : unwrap(await api.POST("/api/v1/deployments/{deployment_id}/stop", params));
    },
    onSuccess: () => client.invalidateQueries({ queryKey: keys.deployments }),
  });
}

export function useBrokerSettings() {
  return useQuery({
    queryKey: keys.broker,
    queryFn: async () => unwrap(await api.GET("/api/v1/settings/broker")),
  });
}

export function useSaveBrokerSettings() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas["BrokerSettingsUpdate"]) =>
      unwrap(await api.PUT("/api/v1/settings/broker", { body })),
    onSuccess: (data) => client.setQueryData(keys.broker, data),
  });
}

/** A deployment's trades next to a backtest of the bars it ran on. Keyed under the
 * deployments, so whatever refetches them (a start, a stop, a refused entry) refetches it. */
export function useDeploymentDrift(id: number) {
  return useQuery({
    queryKey: [...keys.deployments, id, "drift"],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/deployments/{deployment_id}/drift", {
          params: { path: { deployment_id: id } },
        }),
      ),
  });
}
