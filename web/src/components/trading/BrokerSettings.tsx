import { useState, type FormEvent } from "react";

import { useBrokerSettings, useSaveBrokerSettings } from "../../hooks/queries/trading";
import { useTimeZone } from "../../hooks/useTimeZone";
import { formatTime } from "../../lib/format";
import { ErrorMessage } from "../States";

interface Field {
  name: string;
  value: string;
}

/** The credentials to send: named fields only; names trimmed. */
export function credentialsOf(fields: Field[]): Record<string, string> {
  const credentials: Record<string, string> = {};
  for (const field of fields) if (field.name.trim()) credentials[field.name.trim()] = field.value;
  return credentials;
}

/** Set the broker and its credentials. Write-only: the API shows which fields are set, never a
 * value, so the form starts empty and is cleared once saved. */
export function BrokerSettingsForm() {
  const timeZone = useTimeZone();
  const current = useBrokerSettings();
  const save = useSaveBrokerSettings();
  const [broker, setBroker] = useState("paper");
  const [fields, setFields] = useState<Field[]>([{ name: "", value: "" }]);
  const edit = (index: number, patch: Partial<Field>) =>
    setFields((all) => all.map((field, i) => (i === index ? { ...field, ...patch } : field)));
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate({ broker, credentials: credentialsOf(fields) }, { onSuccess: () => setFields([{ name: "", value: "" }]) });
  }
  const stored = save.data ?? current.data;
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="broker-title">
      <h2 id="broker-title">Broker</h2>
      <p className="hint">
        {stored?.broker
          ? `${stored.broker}: ${stored.fields_set.join(", ") || "no credentials"} set ${formatTime(stored.updated_at, timeZone)}. Saving replaces them.`
          : "No broker set."}
      </p>
      <div className="row">
        <label>Broker
          <select value={broker} onChange={(e) => setBroker(e.target.value)}>
            <option value="paper">Paper</option><option value="ib">Interactive Brokers</option>
          </select>
        </label>
      </div>
      {fields.map((field, index) => (
        <div className="row" key={index}>
          <label>Credential name <input value={field.name} onChange={(e) => edit(index, { name: e.target.value })} /></label>
          <label>Value <input type="password" autoComplete="off" value={field.value} onChange={(e) => edit(index, { value: e.target.value })} /></label>
        </div>
      ))}
      <div className="row">
        <button type="button" className="ghost" onClick={() => setFields((all) => [...all, { name: "", value: "" }])}>Add credential</button>
        <button type="submit" disabled={save.isPending}>Save broker</button>
      </div>
      <ErrorMessage error={save.error ?? current.error} />
      {save.isSuccess && <p className="success" role="status">Broker settings saved.</p>}
    </form>
  );
}
