import { formatNumber, formatPercent, signClass } from "../lib/format";

type Format = "percent" | "number" | "count";

/** The metrics worth a glance, in reading order, with how each is written. */
export const METRICS: { key: string; label: string; format: Format }[] = [
  { key: "total_return", label: "Total return", format: "percent" },
  { key: "cagr", label: "CAGR", format: "percent" },
  { key: "sharpe", label: "Sharpe", format: "number" },
  { key: "sortino", label: "Sortino", format: "number" },
  { key: "calmar", label: "Calmar", format: "number" },
  { key: "max_drawdown", label: "Max drawdown", format: "percent" },
  { key: "annual_volatility", label: "Volatility", format: "percent" },
  { key: "number_of_trades", label: "Trades", format: "count" },
  { key: "win_rate", label: "Win rate", format: "percent" },
  { key: "profit_factor", label: "Profit factor", format: "number" },
  { key: "average_trade", label: "Average trade", format: "percent" },
  { key: "exposure", label: "Exposure", format: "percent" },
];

export function formatMetric(value: unknown, format: Format): string {
  const number = typeof value === "number" ? value : null;
  if (format === "percent") return formatPercent(number);
  return formatNumber(number, format === "count" ? 0 : 2);
}

/** A grid of the run's metrics, the benchmark's beside them when there is one. */
export function MetricsGrid({ metrics }: { metrics: Record<string, unknown> }) {
  const benchmark = (metrics.benchmark ?? {}) as Record<string, unknown>;
  return (
    <dl className="metrics">
      {METRICS.map(({ key, label, format }) => (
        <div key={key} className="metric">
          <dt>{label}</dt>
          <dd className={format === "count" ? "" : signClass(metrics[key] as number)}>{formatMetric(metrics[key], format)}</dd>
          {key in benchmark && <dd className="bench">B&amp;H {formatMetric(benchmark[key], format)}</dd>}
        </div>
      ))}
    </dl>
  );
}
