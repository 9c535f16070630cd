import type { Schemas } from "../api/client";
import { DataTable, type Column } from "../components/DataTable";
import { ErrorMessage, QueryView } from "../components/States";
import { useAdminUsers, useUpdateUser } from "../hooks/queries/admin";
import { useMe } from "../hooks/queries/users";
import { useTimeZone } from "../hooks/useTimeZone";
import { formatTime } from "../lib/format";

type User = Schemas["UserRead"];

export default function Admin() {
  const timeZone = useTimeZone();
  const me = useMe();
  const users = useAdminUsers();
  const update = useUpdateUser();
  const columns: Column<User>[] = [
    { key: "email", label: "Email", render: (u) => u.email, sortValue: (u) => u.email },
    { key: "name", label: "Name", render: (u) => u.full_name ?? "", sortValue: (u) => u.full_name },
    { key: "role", label: "Role", sortValue: (u) => u.role, render: (u) => (
      <select aria-label={`Role of ${u.email}`} value={u.role} disabled={u.id === me.data?.id}
        onChange={(e) => update.mutate({ id: u.id, body: { role: e.target.value as Schemas["AdminUserUpdate"]["role"] } })}>
        <option value="user">user</option>
        <option value="admin">admin</option>
      </select>
    ) },
    { key: "active", label: "Active", sortValue: (u) => u.is_active, render: (u) => (
      <button type="button" className="ghost" disabled={u.id === me.data?.id}
        onClick={() => update.mutate({ id: u.id, body: { is_active: !u.is_active } })}>
        {u.is_active ? "Deactivate" : "Activate"}
      </button>
    ) },
    { key: "last", label: "Last login", render: (u) => formatTime(u.last_login_at, timeZone), sortValue: (u) => u.last_login_at },
    { key: "created", label: "Created", render: (u) => formatTime(u.created_at, timeZone), sortValue: (u) => u.created_at },
  ];
  return (
    <section>
      <h1>Users</h1>
      <ErrorMessage error={update.error} />
      <QueryView query={users} isEmpty={(d) => d.items.length === 0} empty="No users.">
        {(d) => <DataTable caption="Users" rows={d.items} columns={columns} rowKey={(u) => u.id} initialSort={{ key: "email", direction: "asc" }} />}
      </QueryView>
    </section>
  );
}
