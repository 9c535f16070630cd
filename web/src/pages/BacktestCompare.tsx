import { useQueries } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link, useSearchParams } from "react-router-dom";

import { api, unwrap } from "../api/client";
import { LineChart, type Line } from "../components/charts";
import { formatMetric, METRICS } from "../components/Metrics";
import { ErrorMessage, Loading } from "../components/States";
import { useTimeZone } from "../hooks/useTimeZone";

function useRuns(ids: number[]) {
  const runs = useQueries({
    queries: ids.map((id) => ({
      queryKey: ["backtests", id],
      queryFn: async () => unwrap(await api.GET("/api/v1/backtests/{backtest_id}", { params: { path: { backtest_id: id } } })),
    })),
  });
  const equities = useQueries({
    queries: ids.map((id) => ({
      queryKey: ["backtests", id, "equity", 500],
      queryFn: async () => unwrap(await api.GET("/api/v1/backtests/{backtest_id}/equity", { params: { path: { backtest_id: id }, query: { points: 500 } } })),
    })),
  });
  return { runs, equities };
}

/** Side by side: each run's metrics in a column, and their equity curves rebased to 100. */
export default function BacktestCompare() {
  const [params] = useSearchParams();
  const ids = (params.get("ids") ?? "").split(",").map(Number).filter((id) => id > 0);
  const timeZone = useTimeZone();
  const { runs, equities } = useRuns(ids);
  const error = [...runs, ...equities].find((q) => q.error)?.error;
  const lines = useMemo<Line[]>(() => equities.flatMap((q, i) => {
    const first = q.data?.equity[0];
    if (!q.data || !first) return [];
    const data = q.data;
    return [{ name: `#${ids[i]}`, points: data.timestamps.map((ms, j) => ({ time: Math.floor(ms / 1000), value: ((data.equity[j] ?? first) / first) * 100 })) }];
  }), [equities, ids]);
  if (ids.length < 2) return <section><h1>Compare runs</h1><p className="state empty">Pick two or more runs on the <Link to="/backtests">backtests</Link> page.</p></section>;
  if (error) return <ErrorMessage error={error} />;
  if (runs.some((q) => !q.data)) return <Loading />;
  return (
    <section>
      <h1>Compare runs</h1>
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Metrics of each run</caption>
          <thead><tr><th>Metric</th>{runs.map((q) => <th key={q.data?.id} className="num"><Link to={`/backtests/${q.data?.id}`}>{q.data?.name ?? `#${q.data?.id}`}</Link></th>)}</tr></thead>
          <tbody>
            <tr><th scope="row">Strategy</th>{runs.map((q) => <td key={q.data?.id} className="num">{q.data?.strategy_type}</td>)}</tr>
            {METRICS.map((m) => (
              <tr key={m.key}><th scope="row">{m.label}</th>{runs.map((q) => <td key={q.data?.id} className="num">{formatMetric(q.data?.metrics?.[m.key], m.format)}</td>)}</tr>
            ))}
          </tbody>
        </table>
      </div>
      <article className="panel"><h2>Equity, rebased to 100</h2>
        {lines.length === ids.length ? <LineChart lines={lines} timeZone={timeZone} label="Equity curves of the compared runs" /> : <Loading />}
      </article>
    </section>
  );
}
