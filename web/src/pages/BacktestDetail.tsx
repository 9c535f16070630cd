import { useMemo } from "react";
import { useParams } from "react-router-dom";

import type { Schemas } from "../api/client";
import type { operations } from "../api/schema";
import { LineChart, PriceChart, type Line, type Marker } from "../components/charts";
import { DataTable, type Column } from "../components/DataTable";
import { MetricsGrid } from "../components/Metrics";
import { Status } from "../components/Status";
import { ErrorMessage, QueryView } from "../components/States";
import { useBacktest, useBacktestEquity, useBacktestTrades } from "../hooks/queries/backtests";
import { useBars, type Timeframe } from "../hooks/queries/marketData";
import { useTimeZone } from "../hooks/useTimeZone";
import { formatMoney, formatNumber, formatPercent, formatTime, signClass } from "../lib/format";

// Read through the operation: the schema's own name is shared with the trading API's trades.
type TradePage = operations["backtests-list_backtest_trades"]["responses"][200]["content"]["application/json"];
type Trade = TradePage["items"][number];
type Equity = Schemas["EquityRead"];

/** Equity and benchmark lines, and the drawdown below the running peak. */
export function equityLines(equity: Equity): { curves: Line[]; drawdown: Line[] } {
  const time = equity.timestamps.map((ms) => Math.floor(ms / 1000));
  let peak = Number.NEGATIVE_INFINITY;
  const drawdown = equity.equity.map((value, i) => {
    if (value === null) return { time: time[i] ?? 0, value: null };
    peak = Math.max(peak, value);
    return { time: time[i] ?? 0, value: peak > 0 ? value / peak - 1 : 0 };
  });
  const line = (values: (number | null)[]) => values.map((value, i) => ({ time: time[i] ?? 0, value }));
  return {
    curves: [
      { name: "Equity", points: line(equity.equity) },
      { name: "Buy & hold", points: line(equity.benchmark), color: "#8b949e" },
    ],
    drawdown: [{ name: "Drawdown", points: drawdown, color: "#cf222e" }],
  };
}

export function tradeMarkers(trades: Trade[]): Marker[] {
  const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
  return trades.flatMap((t) => {
    const long = t.side === "long";
    return [
      { time: seconds(t.entry_time), side: long ? "buy" : "sell", text: long ? "L" : "S" } as Marker,
      { time: seconds(t.exit_time), side: long ? "sell" : "buy", text: "X" } as Marker,
    ];
  });
}

function tradeColumns(timeZone: string): Column<Trade>[] {
  return [
    { key: "symbol", label: "Symbol", render: (t) => t.symbol, sortValue: (t) => t.symbol },
    { key: "side", label: "Side", render: (t) => t.side, sortValue: (t) => t.side },
    { key: "entry", label: "Entry", render: (t) => formatTime(t.entry_time, timeZone), sortValue: (t) => t.entry_time },
    { key: "exit", label: "Exit", render: (t) => formatTime(t.exit_time, timeZone), sortValue: (t) => t.exit_time },
    { key: "entry_price", label: "Entry price", numeric: true, render: (t) => formatNumber(t.entry_price, 4), sortValue: (t) => t.entry_price },
    { key: "exit_price", label: "Exit price", numeric: true, render: (t) => formatNumber(t.exit_price, 4), sortValue: (t) => t.exit_price },
    { key: "qty", label: "Quantity", numeric: true, render: (t) => formatNumber(t.quantity, 4), sortValue: (t) => t.quantity },
    { key: "pnl", label: "P&L", numeric: true, render: (t) => <span className={signClass(t.pnl)}>{formatMoney(t.pnl)}</span>, sortValue: (t) => t.pnl },
    { key: "return", label: "Return", numeric: true, render: (t) => <span className={signClass(t.return)}>{formatPercent(t.return)}</span>, sortValue: (t) => t.return },
    { key: "bars", label: "Bars", numeric: true, render: (t) => t.bars_held, sortValue: (t) => t.bars_held },
    { key: "reason", label: "Exit reason", render: (t) => t.exit_reason, sortValue: (t) => t.exit_reason },
  ];
}

function PricePanel({ run, trades, timeZone }: { run: Schemas["BacktestRead"]; trades: Trade[]; timeZone: string }) {
  const symbol = run.symbols[0] ?? "";
  const bars = useBars(symbol, run.timeframe as Timeframe, { start: run.start, end: run.end, limit: 100_000 });
  const markers = useMemo(() => tradeMarkers(trades.filter((t) => t.symbol === symbol)), [trades, symbol]);
  const candles = useMemo(() => (bars.data ? bars.data.time.map((time, i) => ({
    time, open: bars.data.open[i] ?? 0, high: bars.data.high[i] ?? 0, low: bars.data.low[i] ?? 0, close: bars.data.close[i] ?? 0,
  })) : []), [bars.data]);
  return (
    <QueryView query={bars}>
      {() => <PriceChart candles={candles} markers={markers} timeZone={timeZone} label={`${symbol} price with trades`} />}
    </QueryView>
  );
}

function Results({ run, timeZone }: { run: Schemas["BacktestRead"]; timeZone: string }) {
  const equity = useBacktestEquity(run.id, true);
  const trades = useBacktestTrades(run.id, true);
  const lines = useMemo(() => (equity.data ? equityLines(equity.data) : null), [equity.data]);
  return (
    <>
      {run.metrics && <MetricsGrid metrics={run.metrics} />}
      <div className="grid-2">
        <article className="panel"><h2>Equity against buy &amp; hold</h2>
          <QueryView query={equity}>{() => lines && <LineChart lines={lines.curves} timeZone={timeZone} label="Equity curve" />}</QueryView>
        </article>
        <article className="panel"><h2>Drawdown</h2>
          <QueryView query={equity}>{() => lines && <LineChart lines={lines.drawdown} timeZone={timeZone} label="Drawdown" />}</QueryView>
        </article>
      </div>
      <article className="panel"><h2>Price and trades — {run.symbols[0]}</h2>
        <PricePanel run={run} trades={trades.data?.items ?? []} timeZone={timeZone} />
      </article>
      <article className="panel"><h2>Trades</h2>
        <QueryView query={trades} isEmpty={(d) => d.items.length === 0} empty="The strategy made no trade in this period.">
          {(d) => <DataTable caption="Trades" rows={d.items} columns={tradeColumns(timeZone)} rowKey={(t) => `${t.symbol}-${t.entry_time}`} />}
        </QueryView>
      </article>
    </>
  );
}

export default function BacktestDetail() {
  const id = Number(useParams().id);
  const timeZone = useTimeZone();
  const run = useBacktest(id);
  return (
    <QueryView query={run}>
      {(r) => (
        <section>
          <div className="heading">
            <h1>{r.name ?? `Backtest #${r.id}`}</h1>
            <Status status={r.status} progress={r.progress} />
          </div>
          <p className="hint">
            {r.strategy_type} on {r.symbols.join(", ")} {r.timeframe}, {formatTime(r.start, timeZone, false)} – {formatTime(r.end, timeZone, false)}
          </p>
          {r.status === "failed" && <ErrorMessage error={new Error(r.error ?? "The backtest failed")} />}
          {r.status === "succeeded" && <Results run={r} timeZone={timeZone} />}
        </section>
      )}
    </QueryView>
  );
}
