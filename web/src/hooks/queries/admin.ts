import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap, type Schemas } from "../../api/client";

const usersKey = ["admin", "users"] as const;

export function useAdminUsers() {
  return useQuery({
    queryKey: usersKey,
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/admin/users", { params: { query: { limit: 200 } } })),
  });
}

export function useUpdateUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, body }: { id: number; body: Schemas["AdminUserUpdate"] }) =>
      unwrap(
        await api.PATCH("/api/v1/admin/users/{user_id}", { params: { path: { user_id: id } }, body }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: usersKey }),
  });
}
