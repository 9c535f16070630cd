import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "../../api/client";

export function useInstruments(search = "") {
  return useQuery({
    queryKey: ["instruments", search],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/instruments", {
          params: { query: { limit: 200, ...(search ? { q: search } : {}) } },
        }),
      ),
  });
}

export function useDeleteInstrument() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (id: number) =>
      unwrap(
        await api.DELETE("/api/v1/instruments/{instrument_id}", {
          params: { path: { instrument_id: id } },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: ["instruments"] }),
  });
}
