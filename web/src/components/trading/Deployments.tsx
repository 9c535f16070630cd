import { useState, type FormEvent } from "react";

import type { Schemas } from "../../api/client";
import { useStrategies } from "../../hooks/queries/strategies";
import { useCreateDeployment, useDeploymentAction, useDeployments } from "../../hooks/queries/trading";
import { useTimeZone } from "../../hooks/useTimeZone";
import { formatTime } from "../../lib/format";
import { DataTable } from "../DataTable";
import { ErrorMessage, QueryView } from "../States";
import { Status } from "../Status";
import { DeploymentDrift } from "./DeploymentDrift";

type Deployment = Schemas["DeploymentRead"];
export type Sizing = "quantity" | "risk_fraction" | "all_in";

function riskProfile(sizing: Sizing, amount: string): Schemas["RiskProfileBody"] {
  if (sizing === "all_in") return { all_in: true };
  return sizing === "quantity" ? { quantity: amount } : { risk_fraction: amount };
}

/** The deployment body: a saved strategy on paper, fed by a bar replay or a synthetic walk. */
export function deploymentBody(fields: {
  strategyId: number; symbols: string; timeframe: string; feed: "replay" | "synthetic"; speed: number; sizing: Sizing; amount: string;
}): Schemas["DeploymentCreate"] {
  return {
    strategy_id: fields.strategyId,
    symbols: fields.symbols.split(",").map((s) => s.trim().toUpperCase()).filter(Boolean),
    timeframe: fields.timeframe,
    mode: "paper",
    broker: "paper",
    feed: { kind: fields.feed, speed: fields.speed },
    risk_profile: riskProfile(fields.sizing, fields.amount),
  };
}

function NewDeployment() {
  const strategies = useStrategies();
  const create = useCreateDeployment();
  const [strategyId, setStrategyId] = useState("");
  const [symbols, setSymbols] = useState("");
  const [timeframe, setTimeframe] = useState("1m");
  const [feed, setFeed] = useState<"replay" | "synthetic">("replay");
  const [speed, setSpeed] = useState("60");
  const [sizing, setSizing] = useState<Sizing>("quantity");
  const [amount, setAmount] = useState("1");
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(deploymentBody({ strategyId: Number(strategyId), symbols, timeframe, feed, speed: Number(speed), sizing, amount }));
  }
  function chooseSizing(next: Sizing) {
    setSizing(next);
    setAmount(next === "risk_fraction" ? "0.01" : "1");
  }
  return (
    <form onSubmit={submit} aria-label="New deployment">
      <div className="row">
        <label>Strategy
          <select required value={strategyId} onChange={(e) => setStrategyId(e.target.value)}>
            <option value="">Choose…</option>
            {strategies.data?.items.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
          </select>
        </label>
        <label>Symbols <input required value={symbols} placeholder="AAPL, MSFT" onChange={(e) => setSymbols(e.target.value)} /></label>
        <label>Timeframe <input required value={timeframe} onChange={(e) => setTimeframe(e.target.value)} /></label>
        <label>Feed
          <select value={feed} onChange={(e) => setFeed(e.target.value as "replay" | "synthetic")}>
            <option value="replay">Replay stored bars</option><option value="synthetic">Synthetic</option>
          </select>
        </label>
        <label>Speed <input type="number" min="0.1" step="any" value={speed} onChange={(e) => setSpeed(e.target.value)} /></label>
        <label>Sizing
          <select value={sizing} onChange={(e) => chooseSizing(e.target.value as Sizing)}>
            <option value="quantity">Fixed quantity</option>
            <option value="risk_fraction">Risk to the stop</option>
            <option value="all_in">All in</option>
          </select>
        </label>
        {sizing !== "all_in" && (
          <label>{sizing === "quantity" ? "Quantity per entry" : "Share of equity lost at the stop"}{" "}
            <input type="number" min="0" max={sizing === "risk_fraction" ? 1 : undefined} step="any" required value={amount} onChange={(e) => setAmount(e.target.value)} />
          </label>
        )}
        <button type="submit" disabled={create.isPending}>Create deployment</button>
      </div>
      <ErrorMessage error={create.error} />
    </form>
  );
}

function DeploymentList({ deployments, onDrift }: { deployments: Deployment[]; onDrift: (id: number) => void }) {
  const timeZone = useTimeZone();
  const action = useDeploymentAction();
  const running = (d: Deployment) => d.status === "running" || d.status === "starting";
  return (
    <>
      <ErrorMessage error={action.error} />
      <DataTable caption="Deployments" rows={deployments} rowKey={(d) => d.id} columns={[
        { key: "id", label: "Deployment", render: (d) => `#${d.id}`, sortValue: (d) => d.id },
        { key: "symbols", label: "Symbols", render: (d) => `${d.symbols.join(", ")} · ${d.timeframe}` },
        { key: "mode", label: "Mode", render: (d) => d.mode },
        { key: "status", label: "Status", render: (d) => <Status status={d.status} />, sortValue: (d) => d.status },
        { key: "started", label: "Started", render: (d) => formatTime(d.started_at, timeZone) },
        { key: "error", label: "Last error", render: (d) => d.last_error ?? "" },
        { key: "action", label: "", render: (d) => (
          <button type="button" className="ghost" disabled={action.isPending}
            onClick={() => action.mutate({ id: d.id, action: running(d) ? "stop" : "start" })}>
            {running(d) ? "Stop" : "Start"} #{d.id}
          </button>
        ) },
        { key: "drift", label: "", render: (d) => (
          <button type="button" className="ghost" disabled={!d.started_at} onClick={() => onDrift(d.id)}
            title={d.started_at ? "Compare its trades with a backtest of the same bars" : "Start it first"}>
            Drift #{d.id}
          </button>
        ) },
      ]} />
    </>
  );
}

/** Paper deployments of saved strategies: create, start, stop, and the drift from the backtest. */
export function Deployments() {
  const deployments = useDeployments();
  const [drift, setDrift] = useState<number | null>(null);
  return (
    <article className="panel" aria-labelledby="deployments-title">
      <h2 id="deployments-title">Deployments</h2>
      <NewDeployment />
      <QueryView query={deployments} isEmpty={(d) => d.items.length === 0} empty="No deployments yet.">
        {(d) => <DeploymentList deployments={d.items} onDrift={setDrift} />}
      </QueryView>
      {drift !== null && <DeploymentDrift deploymentId={drift} onClose={() => setDrift(null)} />}
    </article>
  );
}
