import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap, type Schemas } from "../../api/client";
import { fallbackPoll, isActive, useHubConnected, useRunJobs } from "./jobs";

const key = ["backtests"] as const;
const POLL_MS = 1000;

/** Recent runs; those still running move with their jobs' channels (polled if the hub is down). */
export function useBacktests(limit = 50) {
  const connected = useHubConnected();
  const query = useQuery({
    queryKey: [...key, "list", limit],
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/backtests", { params: { query: { limit } } })),
    refetchInterval: (q) =>
      fallbackPoll(q.state.data?.items.some((run) => isActive(run.status)) ?? false, connected, POLL_MS * 2),
  });
  useRunJobs(key, query.data?.items);
  return query;
}

/** One run; while it is queued or running its progress comes from `jobs:{job_id}`, and its
 * results are fetched once the job finishes. Polled only while the hub is down. */
export function useBacktest(id: number) {
  const connected = useHubConnected();
  const query = useQuery({
    queryKey: [...key, id],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/backtests/{backtest_id}", {
          params: { path: { backtest_id: id } },
        }),
      ),
    refetchInterval: (q) => {
      const run = q.state.data;
      return fallbackPoll(run !== undefined && isActive(run.status), connected && run?.job_id != null, POLL_MS);
    },
  });
  useRunJobs(key, query.data ? [query.data] : undefined);
  return query;
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
