import { useState } from "react";
import { Link } from "react-router-dom";

import type { Schemas } from "../api/client";
import { DataTable, type Column } from "../components/DataTable";
import { Status } from "../components/Status";
import { QueryView } from "../components/States";
import { useBacktests } from "../hooks/queries/backtests";
import { useJobs } from "../hooks/queries/jobs";
import { useDeployments, useOrders, usePaperAccounts, usePnl, usePositions, type AccountChoice } from "../hooks/queries/trading";
import { AccountSelect } from "../components/trading/AccountSelect";
import { DeploymentEvents } from "../components/trading/DeploymentEvents";
import { deploymentLabel, isOpen, OrdersTable, PnlSummary, PositionsTable } from "../components/trading/TradingTables";
import { useTimeZone } from "../hooks/useTimeZone";
import { formatPercent, formatTime, signClass } from "../lib/format";

type Run = Schemas["BacktestRead"];
type Job = Schemas["JobRead"];

function runColumns(timeZone: string): Column<Run>[] {
  return [
    { key: "id", label: "Run", render: (r) => <Link to={`/backtests/${r.id}`}>{r.name ?? `#${r.id}`}</Link>, sortValue: (r) => r.id },
    { key: "strategy", label: "Strategy", render: (r) => r.strategy_type, sortValue: (r) => r.strategy_type },
    { key: "symbols", label: "Symbols", render: (r) => r.symbols.join(", ") },
    { key: "status", label: "Status", render: (r) => <Status status={r.status} progress={r.progress} />, sortValue: (r) => r.status },
    { key: "return", label: "Return", numeric: true, sortValue: (r) => metric(r, "total_return"),
      render: (r) => <span className={signClass(metric(r, "total_return"))}>{formatPercent(metric(r, "total_return"))}</span> },
    { key: "created", label: "Created", render: (r) => formatTime(r.created_at, timeZone), sortValue: (r) => r.created_at },
  ];
}

function jobColumns(timeZone: string): Column<Job>[] {
  return [
    { key: "id", label: "Job", render: (j) => `#${j.id}`, sortValue: (j) => j.id },
    { key: "kind", label: "Kind", render: (j) => j.kind, sortValue: (j) => j.kind },
    { key: "status", label: "Status", render: (j) => <Status status={j.status} progress={j.progress} />, sortValue: (j) => j.status },
    { key: "created", label: "Created", render: (j) => formatTime(j.created_at, timeZone), sortValue: (j) => j.created_at },
    { key: "error", label: "Error", render: (j) => j.error ?? "" },
  ];
}

export function metric(run: { metrics: Record<string, unknown> | null }, name: string): number | null {
  const value = run.metrics?.[name];
  return typeof value === "number" ? value : null;
}

/** The paper book at a glance, every account summed unless one is chosen, kept current by the
 * hub's orders, positions, pnl and events channels. */
export function TradingOverview() {
  const [account, setAccount] = useState<AccountChoice>(null);
  const accounts = usePaperAccounts(30);
  const pnl = usePnl(30, account);
  const positions = usePositions(account);
  const orders = useOrders(50);
  const deployments = useDeployments();
  return (
    <div className="grid-2">
      <article className="panel">
        <div className="heading">
          <h2>Paper P&amp;L</h2>
          <AccountSelect accounts={accounts} value={account} onChange={setAccount} />
        </div>
        <QueryView query={pnl}>{(d) => <PnlSummary pnl={d} />}</QueryView>
        <h3>Running deployments</h3>
        <QueryView query={deployments} isEmpty={(d) => !d.items.some((x) => x.status === "running")}
          empty={<>None running. <Link to="/trading">Start one</Link>.</>}>
          {(d) => <ul>{d.items.filter((x) => x.status === "running").map((x) => <li key={x.id}>{deploymentLabel(x)}</li>)}</ul>}
        </QueryView>
      </article>
      <article className="panel">
        <h2>Open positions</h2>
        <QueryView query={positions} isEmpty={(d) => d.length === 0} empty="No open positions.">
          {(d) => <PositionsTable positions={d} />}
        </QueryView>
        <h2>Open orders</h2>
        <QueryView query={orders} isEmpty={(d) => !d.items.some(isOpen)} empty="No open orders.">
          {(d) => <OrdersTable caption="Open orders" orders={d.items.filter(isOpen)} cancellable />}
        </QueryView>
      </article>
    </div>
  );
}

export default function Overview() {
  const timeZone = useTimeZone();
  const backtests = useBacktests(10);
  const jobs = useJobs(10);
  return (
    <section>
      <h1>Overview</h1>
      <TradingOverview />
      <DeploymentEvents />
      <div className="grid-2">
        <article className="panel">
          <h2>Latest backtests</h2>
          <QueryView query={backtests} isEmpty={(d) => d.items.length === 0}
            empty={<>No backtests yet. <Link to="/backtests">Launch one</Link>.</>}>
            {(d) => <DataTable caption="Latest backtests" rows={d.items} columns={runColumns(timeZone)} rowKey={(r) => r.id} />}
          </QueryView>
        </article>
        <article className="panel">
          <h2>Jobs</h2>
          <QueryView query={jobs} isEmpty={(d) => d.items.length === 0} empty="No jobs have run yet.">
            {(d) => <DataTable caption="Jobs" rows={d.items} columns={jobColumns(timeZone)} rowKey={(j) => j.id} />}
          </QueryView>
        </article>
      </div>
    </section>
  );
}
