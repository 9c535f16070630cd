import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap, type Schemas } from "../../api/client";

const key = ["strategies"] as const;

export function useStrategyTypes() {
  return useQuery({
    queryKey: ["strategy-types"],
    queryFn: async () => unwrap(await api.GET("/api/v1/strategy-types")),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useStrategies() {
  return useQuery({
    queryKey: key,
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/strategies", { params: { query: { limit: 200 } } })),
  });
}

export function useStrategy(id: number | null) {
  return useQuery({
    queryKey: [...key, id],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/strategies/{strategy_id}", {
          params: { path: { strategy_id: id ?? 0 } },
        }),
      ),
    enabled: id !== null,
  });
}

export function useSaveStrategy(id: number | null) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas["StrategyCreate"]) =>
      id === null
        ? unwrap(await api.POST("/api/v1/strategies", { body }))
        : unwrap(
            await api.PATCH("/api/v1/strategies/{strategy_id}", {
              params: { path: { strategy_id: id } },
              body,
            }),
          ),
    onSuccess: () => client.invalidateQueries({ queryKey: key }),
  });
}

export function useDeleteStrategy() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (id: number) =>
      unwrap(
        await api.DELETE("/api/v1/strategies/{strategy_id}", {
          params: { path: { strategy_id: id } },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: key }),
  });
}
