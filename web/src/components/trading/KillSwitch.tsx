import { useState } from "react";

import { useKillSwitch } from "../../hooks/queries/trading";
import { ErrorMessage } from "../States";

/** Halt paper trading and cancel every open order, after an explicit confirmation. */
export function KillSwitch({ engaged }: { engaged: boolean }) {
  const kill = useKillSwitch();
  const [confirming, setConfirming] = useState(false);
  function engage(on: boolean) {
    kill.mutate(on, { onSettled: () => setConfirming(false) });
  }
  return (
    <article className="panel" aria-labelledby="kill-title">
      <h2 id="kill-title">Kill switch</h2>
      <p>{engaged ? "Engaged: no new orders are accepted." : "Off: orders are accepted within the risk limits."}</p>
      {engaged
        ? <button type="button" onClick={() => engage(false)} disabled={kill.isPending}>Release kill switch</button>
        : <button type="button" className="ghost danger" onClick={() => setConfirming(true)}>Kill switch…</button>}
      {confirming && (
        <div role="alertdialog" aria-modal="true" aria-labelledby="kill-confirm" className="panel">
          <p id="kill-confirm">Stop all trading and cancel every open order?</p>
          <div className="row">
            <button type="button" className="danger" onClick={() => engage(true)} disabled={kill.isPending}>Confirm kill switch</button>
            <button type="button" className="ghost" onClick={() => setConfirming(false)}>Keep trading</button>
          </div>
        </div>
      )}
      <ErrorMessage error={kill.error} />
      {kill.isSuccess && kill.data.on && <p className="success" role="status">Kill switch engaged; {kill.data.cancelled} orders cancelled.</p>}
    </article>
  );
}
