import { useState, type FormEvent } from "react";

import type { Schemas } from "../../api/client";
import { fieldProblems } from "../../api/errors";
import { useSaveTradingConfig } from "../../hooks/queries/trading";
import { ErrorMessage } from "../States";

type Limits = Schemas["RiskLimits-Output"];

const MONEY_FIELDS = [
  ["max_order_value", "Max order value"],
  ["max_position_value", "Max position value"],
  ["max_gross_exposure", "Max gross exposure"],
  ["daily_loss_limit", "Daily loss limit"],
] as const;
const COUNT_FIELDS = [
  ["max_open_orders", "Max open orders"],
  ["max_orders_per_minute", "Max orders per minute"],
] as const;

type Draft = Record<string, string>;

function toDraft(limits: Limits): Draft {
  const draft: Draft = { allowed_symbols: (limits.allowed_symbols ?? []).join(", ") };
  for (const [key] of [...MONEY_FIELDS, ...COUNT_FIELDS]) draft[key] = String(limits[key] ?? "");
  return draft;
}

/** The limits to save: an empty field means no limit; the kill switch is kept as it is. */
export function toLimits(draft: Draft, current: Limits): Schemas["RiskLimits-Input"] {
  const blank = (key: string) => (draft[key] ?? "").trim() === "";
  const symbols = (draft.allowed_symbols ?? "").split(",").map((s) => s.trim().toUpperCase()).filter(Boolean);
  const limits: Schemas["RiskLimits-Input"] = {
    ...current,
    allowed_symbols: symbols.length > 0 ? symbols : null,
  };
  for (const [key] of MONEY_FIELDS) limits[key] = blank(key) ? null : draft[key];
  for (const [key] of COUNT_FIELDS) limits[key] = blank(key) ? null : Number(draft[key]);
  return limits;
}

/** Edit the paper account's risk limits. */
export function RiskLimitsForm({ config }: { config: Schemas["TradingConfigRead"] }) {
  const save = useSaveTradingConfig();
  const [draft, setDraft] = useState(() => toDraft(config.limits));
  const problems = fieldProblems(save.error);
  const set = (key: string, value: string) => setDraft((current) => ({ ...current, [key]: value }));
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate({ mode: "paper", account: config.account, limits: toLimits(draft, config.limits) });
  }
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="limits-title">
      <h2 id="limits-title">Risk limits</h2>
      <div className="row">
        {[...MONEY_FIELDS, ...COUNT_FIELDS].map(([key, label]) => (
          <label key={key}>{label}
            <input type="number" min="0" step="any" value={draft[key]} placeholder="No limit"
              aria-invalid={Boolean(problems[key])} onChange={(e) => set(key, e.target.value)} />
          </label>
        ))}
        <label>Allowed symbols <input value={draft.allowed_symbols} placeholder="Any" onChange={(e) => set("allowed_symbols", e.target.value)} /></label>
        <button type="submit" disabled={save.isPending}>Save limits</button>
      </div>
      <ErrorMessage error={save.error} />
      {save.isSuccess && <p className="success" role="status">Risk limits saved.</p>}
    </form>
  );
}
