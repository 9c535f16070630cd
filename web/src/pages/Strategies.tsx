import { Link } from "react-router-dom";

import type { Schemas } from "../api/client";
import { DataTable, type Column } from "../components/DataTable";
import { ErrorMessage, QueryView } from "../components/States";
import { useDeleteStrategy, useStrategies } from "../hooks/queries/strategies";
import { useTimeZone } from "../hooks/useTimeZone";
import { formatTime } from "../lib/format";

type Strategy = Schemas["StrategyRead"];

export default function Strategies() {
  const timeZone = useTimeZone();
  const strategies = useStrategies();
  const remove = useDeleteStrategy();
  const columns: Column<Strategy>[] = [
    { key: "name", label: "Name", render: (s) => <Link to={`/strategies/${s.id}`}>{s.name}</Link>, sortValue: (s) => s.name },
    { key: "type", label: "Type", render: (s) => s.type, sortValue: (s) => s.type },
    { key: "symbols", label: "Symbols", render: (s) => s.symbols.join(", ") },
    { key: "timeframe", label: "Timeframe", render: (s) => s.timeframe, sortValue: (s) => s.timeframe },
    { key: "active", label: "Active", render: (s) => (s.active ? "yes" : "no"), sortValue: (s) => s.active },
    { key: "updated", label: "Updated", render: (s) => formatTime(s.updated_at, timeZone), sortValue: (s) => s.updated_at },
    { key: "actions", label: "", render: (s) => (
      <span className="actions">
        <Link to={`/backtests?strategy=${s.id}`}>Backtest</Link>
        <button type="button" className="ghost danger" onClick={() => window.confirm(`Delete strategy ${s.name}?`) && remove.mutate(s.id)}>Delete</button>
      </span>
    ) },
  ];
  return (
    <section>
      <div className="heading">
        <h1>Strategies</h1>
        <Link className="button" to="/strategies/new">New strategy</Link>
      </div>
      <ErrorMessage error={remove.error} />
      <QueryView query={strategies} isEmpty={(d) => d.items.length === 0} empty={<>No strategies yet. <Link to="/strategies/new">Create one</Link>.</>}>
        {(d) => <DataTable caption="Strategies" rows={d.items} columns={columns} rowKey={(s) => s.id} initialSort={{ key: "updated", direction: "desc" }} />}
      </QueryView>
    </section>
  );
}
