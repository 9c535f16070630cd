import type { Schemas } from "../../api/client";
import { useTimeZone } from "../../hooks/useTimeZone";
import { OPEN_STATUSES, useCancelOrder } from "../../hooks/queries/trading";
import { formatMoney, formatNumber, formatTime, signClass } from "../../lib/format";
import { DataTable, type Column } from "../DataTable";
import { ErrorMessage } from "../States";
import { Status } from "../Status";
import { accountLabel } from "./AccountSelect";

type Order = Schemas["OrderRead"];
type Position = Schemas["PositionRead"];
type Trade = Schemas["TradeRead"];
type Deployment = Schemas["DeploymentRead"];

/** Decimal strings from the API as numbers for display and sorting (null stays null). */
export function num(value: string | null | undefined): number | null {
  if (value === null || value === undefined || value === "") return null;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}

function Money({ value }: { value: string | null | undefined }) {
  return <span className={signClass(num(value))}>{formatMoney(num(value))}</span>;
}

export function isOpen(order: Order): boolean {
  return OPEN_STATUSES.has(order.status);
}

const EXIT_LABELS = { stop_loss: "Stop loss", take_profit: "Take profit" } as const;

/** An order's place in a bracket: the entry with its levels, or which exit of which entry. */
export function bracketLabel(order: Pick<Order, "bracket" | "parent_order_id" | "stop_loss" | "take_profit">): string {
  if (order.bracket === null) return "";
  if (order.bracket === "entry") {
    const levels = [
      order.stop_loss === null ? null : `SL ${formatNumber(num(order.stop_loss), 4)}`,
      order.take_profit === null ? null : `TP ${formatNumber(num(order.take_profit), 4)}`,
    ].filter((part) => part !== null);
    return `Entry (${levels.join(" / ")})`;
  }
  const parent = order.parent_order_id === null ? "" : ` of #${order.parent_order_id}`;
  return `${EXIT_LABELS[order.bracket]}${parent}`;
}

function orderColumns(timeZone: string, cancel: ((id: number) => void) | null): Column<Order>[] {
  const columns: Column<Order>[] = [
    { key: "id", label: "Order", render: (o) => `#${o.id}`, sortValue: (o) => o.id },
    { key: "symbol", label: "Symbol", render: (o) => o.symbol, sortValue: (o) => o.symbol },
    { key: "side", label: "Side", render: (o) => o.side },
    { key: "type", label: "Type", render: (o) => o.type },
    { key: "bracket", label: "Bracket", render: bracketLabel, sortValue: (o) => o.parent_order_id ?? o.id },
    { key: "qty", label: "Quantity", numeric: true, render: (o) => `${formatNumber(num(o.filled_quantity), 4)} / ${formatNumber(num(o.quantity), 4)}` },
    { key: "price", label: "Avg. fill", numeric: true, render: (o) => formatNumber(num(o.average_fill_price), 4) },
    { key: "status", label: "Status", render: (o) => <Status status={o.status} />, sortValue: (o) => o.status },
    { key: "created", label: "Created", render: (o) => formatTime(o.created_at, timeZone), sortValue: (o) => o.created_at },
  ];
  if (cancel) {
    columns.push({ key: "cancel", label: "", render: (o) => (
      <button type="button" className="ghost danger" onClick={() => cancel(o.id)} aria-label={`Cancel order ${o.id}`}>Cancel</button>
    ) });
  }
  return columns;
}

/** Orders, newest first; with `cancellable` each row offers a cancel button. */
export function OrdersTable({ orders, caption, cancellable = false }: { orders: Order[]; caption: string; cancellable?: boolean }) {
  const timeZone = useTimeZone();
  const cancel = useCancelOrder();
  return (
    <>
      <ErrorMessage error={cancel.error} />
      <DataTable caption={caption} rows={orders} rowKey={(o) => o.id}
        columns={orderColumns(timeZone, cancellable ? (id) => cancel.mutate(id) : null)}
        initialSort={{ key: "id", direction: "desc" }} />
    </>
  );
}

const positionColumns: Column<Position>[] = [
  { key: "symbol", label: "Symbol", render: (p) => p.symbol, sortValue: (p) => p.symbol },
  { key: "mode", label: "Mode", render: (p) => p.mode },
  { key: "account", label: "Account", render: (p) => accountLabel(p.account), sortValue: (p) => p.account },
  { key: "qty", label: "Quantity", numeric: true, render: (p) => formatNumber(num(p.quantity), 4), sortValue: (p) => num(p.quantity) },
  { key: "avg", label: "Avg. price", numeric: true, render: (p) => formatNumber(num(p.average_price), 4) },
  { key: "last", label: "Last", numeric: true, render: (p) => formatNumber(num(p.last_price), 4) },
  { key: "unrealized", label: "Unrealised", numeric: true, render: (p) => <Money value={p.unrealized_pnl} />, sortValue: (p) => num(p.unrealized_pnl) },
  { key: "realized", label: "Realised", numeric: true, render: (p) => <Money value={p.realized_pnl} />, sortValue: (p) => num(p.realized_pnl) },
];

export function PositionsTable({ positions }: { positions: Position[] }) {
  return <DataTable caption="Open positions" rows={positions} rowKey={(p) => p.id} columns={positionColumns} />;
}

export function TradesTable({ trades }: { trades: Trade[] }) {
  const timeZone = useTimeZone();
  return (
    <DataTable caption="Trades" rows={trades} rowKey={(t) => t.id} initialSort={{ key: "entry", direction: "desc" }} columns={[
      { key: "entry", label: "Entry", render: (t) => formatTime(t.entry_time, timeZone), sortValue: (t) => t.entry_time },
      { key: "account", label: "Account", render: (t) => accountLabel(t.account), sortValue: (t) => t.account },
      { key: "side", label: "Side", render: (t) => t.side },
      { key: "qty", label: "Quantity", numeric: true, render: (t) => formatNumber(num(t.quantity), 4) },
      { key: "entry_price", label: "Entry price", numeric: true, render: (t) => formatNumber(num(t.entry_price), 4) },
      { key: "exit_price", label: "Exit price", numeric: true, render: (t) => formatNumber(num(t.exit_price), 4) },
      { key: "pnl", label: "P&L", numeric: true, render: (t) => <Money value={t.pnl} />, sortValue: (t) => num(t.pnl) },
      { key: "status", label: "Status", render: (t) => <Status status={t.status} /> },
    ]} />
  );
}

export function deploymentLabel(d: Deployment): string {
  return `#${d.id} ${d.symbols.join(", ")} ${d.timeframe}`;
}

/** Equity, cash, P&L and exposure of one account, or of all of them summed. */
export function PnlSummary({ pnl }: { pnl: Schemas["PnlRead"] }) {
  const figures: [string, string][] = [
    ["Equity", pnl.equity], ["Cash", pnl.cash], ["Realised", pnl.realized_pnl],
    ["Unrealised", pnl.unrealized_pnl], ["Total P&L", pnl.total_pnl],
    ["Today", pnl.daily.at(-1)?.pnl ?? "0"], ["Gross exposure", pnl.gross_exposure],
  ];
  return (
    <dl className="metrics">
      {figures.map(([label, value]) => (
        <div key={label}><dt>{label}</dt><dd><Money value={value} /></dd></div>
      ))}
    </dl>
  );
}

/** Each account's totals beside the sum, from the P&L report's `accounts`. */
export function AccountsTable({ accounts }: { accounts: Schemas["AccountPnlRead"][] }) {
  return (
    <DataTable caption="P&L by account" rows={accounts} rowKey={(a) => a.account} columns={[
      { key: "account", label: "Account", render: (a) => accountLabel(a.account), sortValue: (a) => a.account },
      { key: "equity", label: "Equity", numeric: true, render: (a) => <Money value={a.equity} />, sortValue: (a) => num(a.equity) },
      { key: "realized", label: "Realised", numeric: true, render: (a) => <Money value={a.realized_pnl} />, sortValue: (a) => num(a.realized_pnl) },
      { key: "unrealized", label: "Unrealised", numeric: true, render: (a) => <Money value={a.unrealized_pnl} />, sortValue: (a) => num(a.unrealized_pnl) },
      { key: "total", label: "Total P&L", numeric: true, render: (a) => <Money value={a.total_pnl} />, sortValue: (a) => num(a.total_pnl) },
      { key: "exposure", label: "Gross exposure", numeric: true, render: (a) => <Money value={a.gross_exposure} />, sortValue: (a) => num(a.gross_exposure) },
    ]} />
  );
}
