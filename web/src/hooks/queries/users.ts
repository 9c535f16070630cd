import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap, type Schemas } from "../../api/client";

export const meKey = ["users", "me"] as const;

export function useMe(enabled = true) {
  return useQuery({
    queryKey: meKey,
    queryFn: async () => unwrap(await api.GET("/api/v1/users/me")),
    enabled,
    staleTime: 60_000,
  });
}

export function useUpdateMe() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas["UserUpdate"]) =>
      unwrap(await api.PATCH("/api/v1/users/me", { body })),
    onSuccess: (user) => client.setQueryData(meKey, user),
  });
}

export function useChangePassword() {
  return useMutation({
    mutationFn: async (body: Schemas["PasswordChange"]) =>
      unwrap(await api.POST("/api/v1/users/me/password", { body })),
  });
}

export function useSessions() {
  return useQuery({
    queryKey: ["users", "me", "sessions"],
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/users/me/sessions", { params: { query: { limit: 200 } } })),
  });
}

export function useRevokeSession() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (sessionId: number) =>
      unwrap(
        await api.DELETE("/api/v1/users/me/sessions/{session_id}", {
          params: { path: { session_id: sessionId } },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: ["users", "me", "sessions"] }),
  });
}
