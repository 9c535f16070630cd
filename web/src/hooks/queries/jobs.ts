import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../../api/client";

const ACTIVE = new Set(["queued", "running"]);

export function isActive(status: string): boolean {
  return ACTIVE.has(status);
}

/** Recent jobs; polled while any of them is still queued or running. */
export function useJobs(limit = 20) {
  return useQuery({
    queryKey: ["jobs", limit],
    queryFn: async () => unwrap(await api.GET("/api/v1/jobs", { params: { query: { limit } } })),
    refetchInterval: (query) =>
      query.state.data?.items.some((job) => isActive(job.status)) ? 2000 : false,
  });
}
