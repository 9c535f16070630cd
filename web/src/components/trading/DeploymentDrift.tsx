import type { Schemas } from "../../api/client";
import { useDeploymentDrift } from "../../hooks/queries/trading";
import { useTimeZone } from "../../hooks/useTimeZone";
import { formatMoney, formatNumber, formatTime, signClass } from "../../lib/format";
import { DataTable } from "../DataTable";
import { Empty, QueryView } from "../States";

type Report = Schemas["DeploymentDriftRead"];
type Pair = Schemas["DriftPairRead"];
type Trade = Schemas["DriftTradeRead"];

const STATUS_LABEL: Record<Pair["status"], string> = {
  matched: "Matched",
  missed: "Missed (backtest only)",
  extra: "Extra (live only)",
};

/** A decimal string from the API as a number for display and sorting; null stays null. */
export function amount(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

/** When the pair entered: the backtest's entry, or the live one for an extra trade. */
export function entryTime(pair: Pair): string {
  return (pair.backtest ?? pair.live)?.entry_time ?? "";
}

function Side({ trade, at, timeZone }: { trade: Trade | null; at: "entry" | "exit"; timeZone: string }) {
  if (!trade) return <>—</>;
  const time = at === "entry" ? trade.entry_time : trade.exit_time;
  const price = at === "entry" ? trade.entry_price : trade.exit_price;
  if (!time) return <>open</>;
  return <>{formatTime(time, timeZone)} @ {formatNumber(amount(price), 4)}</>;
}

function Signed({ value, money = false }: { value: string | null; money?: boolean }) {
  const number = amount(value);
  return <span className={signClass(number)}>{money ? formatMoney(number) : formatNumber(number, 4)}</span>;
}

function Totals({ report }: { report: Report }) {
  const { totals } = report;
  const items: [string, string, number | null][] = [
    ["Backtest trades", String(totals.backtest_trades), null],
    ["Live trades", String(totals.live_trades), null],
    ["Matched", String(totals.matched), null],
    ["Missed", String(totals.missed), null],
    ["Extra", String(totals.extra), null],
    ["Backtest P&L", formatMoney(amount(totals.backtest_pnl)), amount(totals.backtest_pnl)],
    ["Live P&L", formatMoney(amount(totals.live_pnl)), amount(totals.live_pnl)],
    ["P&L difference", formatMoney(amount(totals.pnl_difference)), amount(totals.pnl_difference)],
  ];
  return (
    <dl className="metrics" aria-label="Drift totals">
      {items.map(([label, text, signed]) => (
        <div key={label} className="metric">
          <dt>{label}</dt>
          <dd className={signClass(signed)}>{text}</dd>
        </div>
      ))}
    </dl>
  );
}

function PairTable({ pairs }: { pairs: Pair[] }) {
  const timeZone = useTimeZone();
  return (
    <DataTable caption="Drift trade by trade" rows={pairs} rowKey={(p) => `${p.status}-${p.symbol}-${p.backtest?.entry_time}-${p.live?.entry_time}-${p.live?.entry_price}`}
      initialSort={{ key: "entry", direction: "asc" }} columns={[
        { key: "status", label: "Status", render: (p) => STATUS_LABEL[p.status], sortValue: (p) => p.status },
        { key: "symbol", label: "Symbol", render: (p) => `${p.symbol} ${p.side}`, sortValue: (p) => p.symbol },
        { key: "entry", label: "Backtest entry", render: (p) => <Side trade={p.backtest} at="entry" timeZone={timeZone} />, sortValue: entryTime },
        { key: "live-entry", label: "Live entry", render: (p) => <Side trade={p.live} at="entry" timeZone={timeZone} /> },
        { key: "delta-bars", label: "Entry Δ bars", numeric: true, render: (p) => p.entry_delta_bars ?? "—", sortValue: (p) => p.entry_delta_bars },
        { key: "entry-price", label: "Entry price Δ", numeric: true, render: (p) => <Signed value={p.entry_price_difference} />, sortValue: (p) => amount(p.entry_price_difference) },
        { key: "exit", label: "Backtest exit", render: (p) => <Side trade={p.backtest} at="exit" timeZone={timeZone} /> },
        { key: "live-exit", label: "Live exit", render: (p) => <Side trade={p.live} at="exit" timeZone={timeZone} /> },
        { key: "exit-price", label: "Exit price Δ", numeric: true, render: (p) => <Signed value={p.exit_price_difference} />, sortValue: (p) => amount(p.exit_price_difference) },
        { key: "pnl", label: "P&L Δ", numeric: true, render: (p) => <Signed value={p.pnl_difference} money />, sortValue: (p) => amount(p.pnl_difference) },
      ]} />
  );
}

/** Why paper or live results differ from the backtest: totals, then each trade beside its pair. */
export function DeploymentDrift({ deploymentId, onClose }: { deploymentId: number; onClose: () => void }) {
  const drift = useDeploymentDrift(deploymentId);
  const timeZone = useTimeZone();
  return (
    <section aria-labelledby="drift-title">
      <div className="row">
        <h3 id="drift-title">Drift of deployment #{deploymentId}</h3>
        <button type="button" className="ghost" onClick={onClose}>Close drift</button>
      </div>
      <QueryView query={drift}>
        {(report) => (
          <>
            <p className="state">
              {report.bars} bars of {report.symbols.join(", ")} · {report.timeframe}, {formatTime(report.start, timeZone)} to{" "}
              {formatTime(report.end, timeZone)}; entries up to {formatNumber(report.tolerance_seconds, 0)} s apart pair.
            </p>
            <Totals report={report} />
            {report.trades.length === 0 ? (
              <Empty>Neither the backtest nor the deployment traded in this period.</Empty>
            ) : (
              <PairTable pairs={report.trades} />
            )}
          </>
        )}
      </QueryView>
    </section>
  );
}
