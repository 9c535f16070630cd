import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";

import type { Schemas } from "../api/client";
import { DataTable, type Column } from "../components/DataTable";
import { Status } from "../components/Status";
import { ErrorMessage, QueryView } from "../components/States";
import { useOptimizations, useSubmitOptimization } from "../hooks/queries/optimizations";
import { useStrategies } from "../hooks/queries/strategies";
import { useTimeZone } from "../hooks/useTimeZone";
import { formatTime } from "../lib/format";

type Run = Schemas["OptimizationRead"];
type Method = NonNullable<Schemas["OptimizationCreate"]["method"]>;

/** Parse "fast: 5, 10, 20" lines into a grid of parameter values. */
export function parseGrid(text: string): Record<string, number[]> {
  const grid: Record<string, number[]> = {};
  for (const line of text.split("\n")) {
    const [name, values] = line.split(":");
    if (!name?.trim() || !values) continue;
    grid[name.trim()] = values.split(",").map((v) => Number(v.trim())).filter((v) => Number.isFinite(v));
  }
  return grid;
}

function LaunchForm({ strategies }: { strategies: Schemas["StrategyRead"][] }) {
  const navigate = useNavigate();
  const submit = useSubmitOptimization();
  const [picked, setStrategyId] = useState("");
  const strategyId = strategies.some((s) => String(s.id) === picked) ? picked : String(strategies[0]?.id ?? "");
  const [method, setMethod] = useState<Method>("grid");
  const [grid, setGrid] = useState("fast: 5, 10, 20\nslow: 30, 50, 100");
  const [metric, setMetric] = useState("sharpe");
  const [windows, setWindows] = useState({ train: "250", test: "60" });
  function launch(event: FormEvent) {
    event.preventDefault();
    const walk = method === "walk_forward";
    submit.mutate(
      { strategy_id: Number(strategyId), method, grid: parseGrid(grid), metric, symbols: [],
        ...(walk ? { train_bars: Number(windows.train), test_bars: Number(windows.test) } : {}) },
      { onSuccess: (run) => navigate(`/optimizations/${run.id}`) },
    );
  }
  if (strategies.length === 0) return <p className="state empty">Create a <Link to="/strategies/new">strategy</Link> to optimise it.</p>;
  return (
    <form className="panel" onSubmit={launch} aria-labelledby="opt-title">
      <h2 id="opt-title">Launch an optimisation</h2>
      <div className="row">
        <label>Strategy
          <select value={strategyId} onChange={(e) => setStrategyId(e.target.value)}>
            {strategies.map((s) => <option key={s.id} value={s.id}>{s.name} ({s.type})</option>)}
          </select>
        </label>
        <label>Method
          <select value={method} onChange={(e) => setMethod(e.target.value as Method)}>
            <option value="grid">Grid</option>
            <option value="walk_forward">Walk-forward</option>
          </select>
        </label>
        <label>Metric <input value={metric} onChange={(e) => setMetric(e.target.value)} /></label>
        {method === "walk_forward" && <>
          <label>Train bars <input inputMode="numeric" value={windows.train} onChange={(e) => setWindows({ ...windows, train: e.target.value })} /></label>
          <label>Test bars <input inputMode="numeric" value={windows.test} onChange={(e) => setWindows({ ...windows, test: e.target.value })} /></label>
        </>}
      </div>
      <label>Grid, one parameter a line: <code>name: value, value…</code>
        <textarea className="code" rows={3} value={grid} onChange={(e) => setGrid(e.target.value)} />
      </label>
      <ErrorMessage error={submit.error} />
      <button type="submit" disabled={submit.isPending}>Run optimisation</button>
    </form>
  );
}

export default function Optimizations() {
  const timeZone = useTimeZone();
  const strategies = useStrategies();
  const runs = useOptimizations();
  const columns: Column<Run>[] = [
    { key: "id", label: "Run", render: (r) => <Link to={`/optimizations/${r.id}`}>{r.name ?? `#${r.id}`}</Link>, sortValue: (r) => r.id },
    { key: "strategy", label: "Strategy", render: (r) => r.strategy_type, sortValue: (r) => r.strategy_type },
    { key: "method", label: "Method", render: (r) => String(r.settings.method ?? ""), sortValue: (r) => String(r.settings.method ?? "") },
    { key: "status", label: "Status", render: (r) => <Status status={r.status} progress={r.progress} />, sortValue: (r) => r.status },
    { key: "best", label: "Best", render: (r) => JSON.stringify(r.metrics?.best ?? "") },
    { key: "created", label: "Created", render: (r) => formatTime(r.created_at, timeZone), sortValue: (r) => r.created_at },
  ];
  return (
    <section>
      <h1>Optimisations</h1>
      <QueryView query={strategies}>{(d) => <LaunchForm strategies={d.items} />}</QueryView>
      <QueryView query={runs} isEmpty={(d) => d.items.length === 0} empty="No optimisations yet.">
        {(d) => <DataTable caption="Optimisations" rows={d.items} columns={columns} rowKey={(r) => r.id} initialSort={{ key: "id", direction: "desc" }} />}
      </QueryView>
    </section>
  );
}
