import { useMutation, useQuery, useQueryClient, type QueryKey } from "@tanstack/react-query";

import { api, unwrap, type Schemas } from "../../api/client";
import { useLiveTopic } from "../useLiveTopic";

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

/** Refetch `queryKeys` whenever `channel` sends its snapshot or an event: the REST answer is
 * the full state, so applying it is idempotent however events interleave with the snapshot. */
export function useLiveRefresh(channel: string, queryKeys: QueryKey[]): void {
  const client = useQueryClient();
  useLiveTopic(channel, (message) => {
    if (message.kind === "snapshot") return;
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

export function usePositions() {
  useLiveRefresh("positions", [keys.positions]);
  return useQuery({
    queryKey: keys.positions,
    queryFn: async () => unwrap(await api.GET("/api/v1/positions")),
  });
}

export function useTrades(limit = 100) {
  return useQuery({
    queryKey: [...keys.trades, limit],
    queryFn: async () => unwrap(await api.GET("/api/v1/trades", { params: { query: { limit } } })),
  });
}

export function usePnl(days = 90) {
  useLiveRefresh("pnl", [keys.pnl]);
  return useQuery({
    queryKey: [...keys.pnl, days],
    queryFn: async () => unwrap(await api.GET("/api/v1/pnl", { params: { query: { days } } })),
  });
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

export function useDeployments() {
  return useQuery({
    queryKey: keys.deployments,
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/deployments", { params: { query: { limit: 100 } } })),
  });
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
