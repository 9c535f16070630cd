import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap, type Schemas } from "../../api/client";
import { fallbackPoll, isActive, useHubConnected, useRunJobs } from "./jobs";

const key = ["optimizations"] as const;

/** Recent optimisations; running ones move with their jobs' channels, as backtests do. */
export function useOptimizations() {
  const connected = useHubConnected();
  const query = useQuery({
    queryKey: [...key, "list"],
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/optimizations", { params: { query: { limit: 50 } } })),
    refetchInterval: (q) =>
      fallbackPoll(q.state.data?.items.some((run) => isActive(run.status)) ?? false, connected, 2000),
  });
  useRunJobs(key, query.data?.items);
  return query;
}

/** One optimisation: progress from `jobs:{job_id}`, results fetched when the job finishes. */
export function useOptimization(id: number) {
  const connected = useHubConnected();
  const query = useQuery({
    queryKey: [...key, id],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/optimizations/{optimization_id}", {
          params: { path: { optimization_id: id } },
        }),
      ),
    refetchInterval: (q) => {
      const run = q.state.data;
      return fallbackPoll(run !== undefined && isActive(run.status), connected && run?.job_id != null, 1000);
    },
  });
  useRunJobs(key, query.data ? [query.data] : undefined);
  return query;
}

export function useSubmitOptimization() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas["OptimizationCreate"]) =>
      unwrap(await api.POST("/api/v1/optimizations", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: key }),
  });
}
