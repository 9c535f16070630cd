import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap, type Schemas } from "../../api/client";
import { isActive } from "./jobs";

const key = ["optimizations"] as const;

export function useOptimizations() {
  return useQuery({
    queryKey: [...key, "list"],
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/optimizations", { params: { query: { limit: 50 } } })),
    refetchInterval: (query) =>
      query.state.data?.items.some((run) => isActive(run.status)) ? 2000 : false,
  });
}

export function useOptimization(id: number) {
  return useQuery({
    queryKey: [...key, id],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/optimizations/{optimization_id}", {
          params: { path: { optimization_id: id } },
        }),
      ),
    refetchInterval: (query) => (query.state.data && isActive(query.state.data.status) ? 1000 : false),
  });
}

export function useSubmitOptimization() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas["OptimizationCreate"]) =>
      unwrap(await api.POST("/api/v1/optimizations", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: key }),
  });
}
