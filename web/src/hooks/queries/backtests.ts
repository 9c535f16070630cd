import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap, type Schemas } from "../../api/client";
import { isActive } from "./jobs";

const key = ["backtests"] as const;
const POLL_MS = 1000;

export function useBacktests(limit = 50) {
  return useQuery({
    queryKey: [...key, "list", limit],
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/backtests", { params: { query: { limit } } })),
    refetchInterval: (query) =>
      query.state.data?.items.some((run) => isActive(run.status)) ? POLL_MS * 2 : false,
  });
}

/** One run, polled while it is queued or running so its progress moves. */
export function useBacktest(id: number) {
  return useQuery({
    queryKey: [...key, id],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/backtests/{backtest_id}", {
          params: { path: { backtest_id: id } },
        }),
      ),
    refetchInterval: (query) => (query.state.data && isActive(query.state.data.status) ? POLL_MS : false),
  });
}

export function useBacktestEquity(id: number, enabled: boolean, points = 1000) {
  return useQuery({
    queryKey: [...key, id, "equity", points],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/backtests/{backtest_id}/equity", {
          params: { path: { backtest_id: id }, query: { points } },
        }),
      ),
    enabled,
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useBacktestTrades(id: number, enabled: boolean) {
  return useQuery({
    queryKey: [...key, id, "trades"],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/backtests/{backtest_id}/trades", {
          params: { path: { backtest_id: id }, query: { limit: 200 } },
        }),
      ),
    enabled,
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useSubmitBacktest() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas["BacktestCreate"]) =>
      unwrap(await api.POST("/api/v1/backtests", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: key }),
  });
}

export function useDeleteBacktest() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (id: number) =>
      unwrap(
        await api.DELETE("/api/v1/backtests/{backtest_id}", {
          params: { path: { backtest_id: id } },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: key }),
  });
}
