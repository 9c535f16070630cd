import { useMemo } from "react";
import { useParams } from "react-router-dom";

import { LineChart } from "../components/charts";
import { Status } from "../components/Status";
import { ErrorMessage, QueryView } from "../components/States";
import { useOptimization } from "../hooks/queries/optimizations";
import { useTimeZone } from "../hooks/useTimeZone";
import { formatNumber } from "../lib/format";

interface HeatMap {
  x: string;
  y: string;
  x_values: unknown[];
  y_values: unknown[];
  values: (number | null)[][];
}

type Row = Record<string, unknown>;

function shade(value: number | null, low: number, high: number): string {
  if (value === null || !Number.isFinite(value)) return "transparent";
  const t = high > low ? (value - low) / (high - low) : 0.5;
  return `hsl(${Math.round(t * 120)} 60% 45% / 0.75)`;
}

/** Metric by two parameters, red (worst) to green (best). */
export function HeatMapTable({ map, metric }: { map: HeatMap; metric: string }) {
  const flat = map.values.flat().filter((v): v is number => v !== null && Number.isFinite(v));
  const low = Math.min(...flat);
  const high = Math.max(...flat);
  return (
    <div className="table-wrap">
      <table className="heatmap">
        <caption>{metric} by {map.y} (rows) and {map.x} (columns)</caption>
        <thead><tr><th>{map.y} \ {map.x}</th>{map.x_values.map((x) => <th key={String(x)} className="num">{String(x)}</th>)}</tr></thead>
        <tbody>
          {map.values.map((row, i) => (
            <tr key={String(map.y_values[i])}>
              <th scope="row">{String(map.y_values[i])}</th>
              {row.map((value, j) => <td key={j} className="num" style={{ background: shade(value, low, high) }}>{formatNumber(value, 2)}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RowsTable({ rows, caption }: { rows: Row[]; caption: string }) {
  const columns = Object.keys(rows[0] ?? {});
  return (
    <div className="table-wrap">
      <table>
        <caption>{caption}</caption>
        <thead><tr>{columns.map((c) => <th key={c}>{c}</th>)}</tr></thead>
        <tbody>{rows.map((row, i) => <tr key={i}>{columns.map((c) => <td key={c} className="num">{typeof row[c] === "number" ? formatNumber(row[c] as number, 4) : String(row[c] ?? "")}</td>)}</tr>)}</tbody>
      </table>
    </div>
  );
}

function WalkForwardEquity({ equity, timeZone }: { equity: { timestamps: number[]; equity: number[] }; timeZone: string }) {
  const lines = useMemo(() => [{ name: "Out-of-sample equity", points: equity.timestamps.map((ms, i) => ({ time: Math.floor(ms / 1000), value: equity.equity[i] ?? null })) }], [equity]);
  return <LineChart lines={lines} timeZone={timeZone} label="Walk-forward out-of-sample equity" />;
}

export default function OptimizationDetail() {
  const id = Number(useParams().id);
  const timeZone = useTimeZone();
  const run = useOptimization(id);
  return (
    <QueryView query={run}>
      {(r) => {
        const results = (r.results ?? {}) as Row;
        const metric = String(results.metric ?? r.settings.metric ?? "");
        return (
          <section>
            <div className="heading"><h1>{r.name ?? `Optimisation #${r.id}`}</h1><Status status={r.status} progress={r.progress} /></div>
            {r.status === "failed" && <ErrorMessage error={new Error(r.error ?? "The optimisation failed")} />}
            {results.best !== undefined && <p>Best parameters: <code>{JSON.stringify(results.best)}</code> ({metric} {formatNumber(results.best_value as number, 3)})</p>}
            {results.heatmap ? <article className="panel"><h2>Heat map</h2><HeatMapTable map={results.heatmap as HeatMap} metric={metric} /></article> : null}
            {results.equity ? <article className="panel"><h2>Walk-forward equity</h2><WalkForwardEquity equity={results.equity as { timestamps: number[]; equity: number[] }} timeZone={timeZone} /></article> : null}
            {Array.isArray(results.windows) && <RowsTable rows={results.windows as Row[]} caption="Walk-forward windows" />}
            {Array.isArray(results.rows) && <RowsTable rows={results.rows as Row[]} caption="Best parameter sets" />}
          </section>
        );
      }}
    </QueryView>
  );
}
