import { useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";

import type { Schemas } from "../api/client";
import { DataTable, type Column } from "../components/DataTable";
import { Status } from "../components/Status";
import { ErrorMessage, QueryView } from "../components/States";
import { useBacktests, useSubmitBacktest } from "../hooks/queries/backtests";
import { useStrategies } from "../hooks/queries/strategies";
import { useTimeZone } from "../hooks/useTimeZone";
import { formatNumber, formatPercent, formatTime, signClass } from "../lib/format";
import { metric } from "./Overview";

type Run = Schemas["BacktestRead"];

function LaunchForm({ strategies }: { strategies: Schemas["StrategyRead"][] }) {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const submit = useSubmitBacktest();
  const [picked, setStrategyId] = useState(params.get("strategy") ?? "");
  // The list may arrive after the first render (a refetch): default to its first strategy.
  const strategyId = strategies.some((s) => String(s.id) === picked) ? picked : String(strategies[0]?.id ?? "");
  const [form, setForm] = useState({ symbols: "", start: "", end: "", cash: "10000", commission: "0", name: "" });
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value });
  function launch(event: FormEvent) {
    event.preventDefault();
    const symbols = form.symbols.split(/[\s,]+/).filter(Boolean).map((s) => s.toUpperCase());
    submit.mutate(
      {
        strategy_id: Number(strategyId), symbols, name: form.name || null,
        start: form.start || null, end: form.end || null,
        options: { initial_cash: Number(form.cash), commission: Number(form.commission) },
      },
      { onSuccess: (run) => navigate(`/backtests/${run.id}`) },
    );
  }
  if (strategies.length === 0) return <p className="state empty">Create a <Link to="/strategies/new">strategy</Link> to backtest it.</p>;
  return (
    <form className="panel" onSubmit={launch} aria-labelledby="launch-title">
      <h2 id="launch-title">Launch a backtest</h2>
      <div className="row">
        <label>Strategy
          <select value={strategyId} onChange={(e) => setStrategyId(e.target.value)}>
            {strategies.map((s) => <option key={s.id} value={s.id}>{s.name} ({s.type})</option>)}
          </select>
        </label>
        <label>Symbols <input value={form.symbols} placeholder="the strategy's" onChange={set("symbols")} /></label>
        <label>From <input type="date" value={form.start} onChange={set("start")} /></label>
        <label>To <input type="date" value={form.end} onChange={set("end")} /></label>
        <label>Initial cash <input inputMode="decimal" value={form.cash} onChange={set("cash")} /></label>
        <label>Commission <input inputMode="decimal" value={form.commission} onChange={set("commission")} /></label>
        <label>Name <input value={form.name} onChange={set("name")} /></label>
        <button type="submit" disabled={submit.isPending}>{submit.isPending ? "Launching…" : "Run backtest"}</button>
      </div>
      <ErrorMessage error={submit.error} />
    </form>
  );
}

function columns(timeZone: string, selected: Set<number>, toggle: (id: number) => void): Column<Run>[] {
  return [
    { key: "pick", label: "Compare", render: (r) => (
      <input type="checkbox" aria-label={`Compare run ${r.id}`} checked={selected.has(r.id)} disabled={r.status !== "succeeded"} onChange={() => toggle(r.id)} />
    ) },
    { key: "id", label: "Run", render: (r) => <Link to={`/backtests/${r.id}`}>{r.name ?? `#${r.id}`}</Link>, sortValue: (r) => r.id },
    { key: "strategy", label: "Strategy", render: (r) => r.strategy_type, sortValue: (r) => r.strategy_type },
    { key: "symbols", label: "Symbols", render: (r) => r.symbols.join(", ") },
    { key: "tf", label: "TF", render: (r) => r.timeframe },
    { key: "status", label: "Status", render: (r) => <Status status={r.status} progress={r.progress} />, sortValue: (r) => r.status },
    { key: "return", label: "Return", numeric: true, sortValue: (r) => metric(r, "total_return"),
      render: (r) => <span className={signClass(metric(r, "total_return"))}>{formatPercent(metric(r, "total_return"))}</span> },
    { key: "sharpe", label: "Sharpe", numeric: true, sortValue: (r) => metric(r, "sharpe"), render: (r) => formatNumber(metric(r, "sharpe")) },
    { key: "dd", label: "Max DD", numeric: true, sortValue: (r) => metric(r, "max_drawdown"), render: (r) => formatPercent(metric(r, "max_drawdown")) },
    { key: "created", label: "Created", render: (r) => formatTime(r.created_at, timeZone), sortValue: (r) => r.created_at },
  ];
}

export default function Backtests() {
  const timeZone = useTimeZone();
  const strategies = useStrategies();
  const runs = useBacktests();
  const navigate = useNavigate();
  const [selected, setSelected] = useState<Set<number>>(new Set());
  function toggle(id: number) {
    const next = new Set(selected);
    if (!next.delete(id)) next.add(id);
    setSelected(next);
  }
  return (
    <section>
      <h1>Backtests</h1>
      <QueryView query={strategies}>{(d) => <LaunchForm strategies={d.items} />}</QueryView>
      <article className="panel">
        <div className="heading">
          <h2>Runs</h2>
          <button type="button" disabled={selected.size < 2} onClick={() => navigate(`/backtests/compare?ids=${[...selected].join(",")}`)}>
            Compare {selected.size > 1 ? selected.size : ""} runs
          </button>
        </div>
        <QueryView query={runs} isEmpty={(d) => d.items.length === 0} empty="No backtests yet.">
          {(d) => <DataTable caption="Backtest runs" rows={d.items} columns={columns(timeZone, selected, toggle)} rowKey={(r) => r.id} initialSort={{ key: "id", direction: "desc" }} />}
        </QueryView>
      </article>
    </section>
  );
}
