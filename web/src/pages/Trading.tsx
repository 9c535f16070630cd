import { useMemo, useState } from "react";

import type { Schemas } from "../api/client";
import { LineChart } from "../components/charts";
import { QueryView } from "../components/States";
import { DeploymentEvents } from "../components/trading/DeploymentEvents";
import { Deployments } from "../components/trading/Deployments";
import { KillSwitch } from "../components/trading/KillSwitch";
import { OrderTicket } from "../components/trading/OrderTicket";
import { RiskLimitsForm } from "../components/trading/RiskLimits";
import { AccountSelect } from "../components/trading/AccountSelect";
import { AccountsTable, isOpen, num, OrdersTable, PnlSummary, PositionsTable, TradesTable } from "../components/trading/TradingTables";
import { useOrders, usePaperAccounts, usePnl, usePositions, useTrades, useTradingConfig, type AccountChoice } from "../hooks/queries/trading";
import { useTimeZone } from "../hooks/useTimeZone";

/** The daily equity and P&L as chart lines (time in UTC seconds). */
export function pnlLines(daily: Schemas["DailyPnlRead"][]) {
  const time = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;
  return [
    { name: "Equity", points: daily.map((d) => ({ time: time(d.day), value: num(d.equity) })) },
    { name: "Daily P&L", pane: 1, points: daily.map((d) => ({ time: time(d.day), value: num(d.pnl) })) },
  ];
}

function Pnl({ account }: { account: AccountChoice }) {
  const timeZone = useTimeZone();
  const pnl = usePnl(90, account);
  const lines = useMemo(() => pnlLines(pnl.data?.daily ?? []), [pnl.data]);
  return (
    <article className="panel" aria-labelledby="pnl-title">
      <h2 id="pnl-title">P&amp;L</h2>
      <QueryView query={pnl}>
        {(data) => (
          <>
            <PnlSummary pnl={data} />
            {data.daily.length > 0 && <LineChart lines={lines} timeZone={timeZone} label="Daily equity and P&L" />}
            {account === null && data.accounts.length > 1 && <AccountsTable accounts={data.accounts} />}
          </>
        )}
      </QueryView>
    </article>
  );
}

function Orders() {
  const orders = useOrders();
  return (
    <article className="panel" aria-labelledby="orders-title">
      <h2 id="orders-title">Orders</h2>
      <QueryView query={orders} isEmpty={(d) => d.items.length === 0} empty="No orders yet.">
        {(d) => (
          <>
            <h3>Open</h3>
            <OrdersTable caption="Open orders" orders={d.items.filter(isOpen)} cancellable />
            <h3>Recent</h3>
            <OrdersTable caption="Recent orders" orders={d.items.filter((o) => !isOpen(o))} />
          </>
        )}
      </QueryView>
    </article>
  );
}

export default function Trading() {
  const [account, setAccount] = useState<AccountChoice>(null);
  const accounts = usePaperAccounts();
  const positions = usePositions(account);
  const trades = useTrades(100, account);
  const config = useTradingConfig();
  return (
    <section>
      <div className="heading">
        <h1>Trading</h1>
        <AccountSelect accounts={accounts} value={account} onChange={setAccount} label="Positions, P&L and trades of" />
      </div>
      <div className="grid-2">
        <OrderTicket />
        <QueryView query={config}>{(c) => <KillSwitch engaged={c.limits.kill_switch ?? false} />}</QueryView>
      </div>
      <Orders />
      <article className="panel" aria-labelledby="positions-title">
        <h2 id="positions-title">Positions</h2>
        <QueryView query={positions} isEmpty={(d) => d.length === 0} empty="No open positions.">
          {(d) => <PositionsTable positions={d} />}
        </QueryView>
      </article>
      <Pnl account={account} />
      <Deployments />
      <DeploymentEvents />
      <article className="panel" aria-labelledby="trades-title">
        <h2 id="trades-title">Trades</h2>
        <QueryView query={trades} isEmpty={(d) => d.items.length === 0} empty="No trades yet.">
          {(d) => <TradesTable trades={d.items} />}
        </QueryView>
      </article>
      <QueryView query={config}>{(c) => <RiskLimitsForm config={c} />}</QueryView>
    </section>
  );
}
