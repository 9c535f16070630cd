import { useState, type FormEvent } from "react";

import type { Schemas } from "../api/client";
import { DataTable } from "../components/DataTable";
import { ErrorMessage, QueryView } from "../components/States";
import { BrokerSettingsForm } from "../components/trading/BrokerSettings";
import { useChangePassword, useMe, useRevokeSession, useSessions, useUpdateMe } from "../hooks/queries/users";
import { useTimeZone } from "../hooks/useTimeZone";
import { formatTime } from "../lib/format";

function Profile({ me }: { me: Schemas["UserRead"] }) {
  const update = useUpdateMe();
  const [fullName, setFullName] = useState(me.full_name ?? "");
  const [timezone, setTimezone] = useState(me.timezone);
  function submit(event: FormEvent) {
    event.preventDefault();
    update.mutate({ full_name: fullName || null, timezone });
  }
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <p>{me.email} · {me.role}</p>
      <div className="row">
        <label>Full name <input value={fullName} onChange={(e) => setFullName(e.target.value)} /></label>
        <label>Time zone <input value={timezone} list="time-zones" onChange={(e) => setTimezone(e.target.value)} /></label>
        <datalist id="time-zones">{Intl.supportedValuesOf("timeZone").map((tz) => <option key={tz} value={tz} />)}</datalist>
        <button type="submit" disabled={update.isPending}>Save profile</button>
      </div>
      <ErrorMessage error={update.error} />
      {update.isSuccess && <p className="success" role="status">Profile saved.</p>}
    </form>
  );
}

function Password() {
  const change = useChangePassword();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  function submit(event: FormEvent) {
    event.preventDefault();
    change.mutate({ current_password: current, new_password: next }, { onSuccess: () => { setCurrent(""); setNext(""); } });
  }
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>
      <div className="row">
        <label>Current password <input type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} /></label>
        <label>New password <input type="password" autoComplete="new-password" required value={next} onChange={(e) => setNext(e.target.value)} /></label>
        <button type="submit" disabled={change.isPending}>Change password</button>
      </div>
      <ErrorMessage error={change.error} />
      {change.isSuccess && <p className="success" role="status">Password changed.</p>}
    </form>
  );
}

function Sessions() {
  const timeZone = useTimeZone();
  const sessions = useSessions();
  const revoke = useRevokeSession();
  return (
    <article className="panel">
      <h2>Sessions</h2>
      <ErrorMessage error={revoke.error} />
      <QueryView query={sessions} isEmpty={(d) => d.items.length === 0} empty="No open sessions.">
        {(d) => <DataTable caption="Open sessions" rows={d.items} rowKey={(s) => s.id} columns={[
          { key: "created", label: "Signed in", render: (s) => formatTime(s.created_at, timeZone), sortValue: (s) => s.created_at },
          { key: "expires", label: "Expires", render: (s) => formatTime(s.expires_at, timeZone), sortValue: (s) => s.expires_at },
          { key: "agent", label: "Browser", render: (s) => s.user_agent ?? "" },
          { key: "address", label: "Address", render: (s) => s.client_address ?? "" },
          { key: "revoke", label: "", render: (s) => <button type="button" className="ghost danger" onClick={() => revoke.mutate(s.id)}>Revoke</button> },
        ]} />}
      </QueryView>
    </article>
  );
}

export default function Settings() {
  const me = useMe();
  return (
    <section>
      <h1>Settings</h1>
      <QueryView query={me}>{(user) => <Profile me={user} />}</QueryView>
      <Password />
      <BrokerSettingsForm />
      <Sessions />
    </section>
  );
}
