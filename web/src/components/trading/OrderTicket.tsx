import { useState, type FormEvent } from "react";

import type { Schemas } from "../../api/client";
import { fieldProblems } from "../../api/errors";
import { usePlaceOrder } from "../../hooks/queries/trading";
import { ErrorMessage } from "../States";

type OrderType = "market" | "limit" | "stop";
type Side = "buy" | "sell";

export interface TicketFields {
  clientOrderId: string; symbol: string; side: Side; type: OrderType;
  quantity: string; limitPrice: string; stopPrice: string;
  stopLoss?: string; takeProfit?: string;
}

/** A fresh id per ticket: the API answers a resubmitted id with the original order, not a twin. */
export function newClientOrderId(): string {
  return `web-${crypto.randomUUID()}`;
}

function level(value: string | undefined): string | null {
  const trimmed = value?.trim() ?? "";
  return trimmed === "" ? null : trimmed;
}

/** The order body for the ticket's fields; prices only for the types that use them, and a
 * stop loss or take profit (either makes it a bracket) only when filled in. */
export function orderBody(fields: TicketFields): Schemas["OrderCreate"] {
  return {
    client_order_id: fields.clientOrderId,
    symbol: fields.symbol.trim().toUpperCase(),
    side: fields.side,
    type: fields.type,
    quantity: fields.quantity,
    limit_price: fields.type === "limit" ? fields.limitPrice : null,
    stop_price: fields.type === "stop" ? fields.stopPrice : null,
    stop_loss: level(fields.stopLoss),
    take_profit: level(fields.takeProfit),
  };
}

export interface BracketProblem {
  field: "stop_loss" | "take_profit";
  message: string;
}

/** The first bracket level on the wrong side, worded as the API words it (a buy needs
 * stop_loss < entry < take_profit, a sell the reverse); null when the levels are in order.
 * A market entry has no price here, so only the two levels are compared; the API also checks
 * them against the last price. */
export function bracketProblem(fields: TicketFields): BracketProblem | null {
  const stop = level(fields.stopLoss);
  const target = level(fields.takeProfit);
  const buy = fields.side === "buy";
  const [below, above] = buy ? ["below", "above"] : ["above", "below"];
  const rule = buy ? "stop_loss < entry < take_profit" : "take_profit < entry < stop_loss";
  const wrong = (field: BracketProblem["field"], problem: string): BracketProblem => ({
    field, message: `${problem}: a ${fields.side} bracket needs ${rule}`,
  });
  const referenceName = fields.type === "limit" ? "limit_price" : fields.type === "stop" ? "stop_price" : null;
  const reference = referenceName ? level(fields.type === "limit" ? fields.limitPrice : fields.stopPrice) : null;
  const entry = reference === null ? null : Number(reference);
  const [s, t] = [stop === null ? null : Number(stop), target === null ? null : Number(target)];
  if (entry !== null && s !== null && (buy ? s >= entry : s <= entry)) {
    return wrong("stop_loss", `stop_loss ${stop} must be ${below} the ${referenceName} ${reference}`);
  }
  if (entry !== null && t !== null && (buy ? t <= entry : t >= entry)) {
    return wrong("take_profit", `take_profit ${target} must be ${above} the ${referenceName} ${reference}`);
  }
  if (s !== null && t !== null && (buy ? t <= s : t >= s)) {
    return wrong("take_profit", `take_profit ${target} must be ${above} stop_loss ${stop}`);
  }
  return null;
}

/** Place a paper order: market, limit or stop, optionally bracketed by a stop loss and a take profit. */
export function OrderTicket() {
  const place = usePlaceOrder();
  const [clientOrderId, setClientOrderId] = useState(newClientOrderId);
  const [symbol, setSymbol] = useState("");
  const [side, setSide] = useState<Side>("buy");
  const [type, setType] = useState<OrderType>("market");
  const [quantity, setQuantity] = useState("1");
  const [limitPrice, setLimitPrice] = useState("");
  const [stopPrice, setStopPrice] = useState("");
  const [stopLoss, setStopLoss] = useState("");
  const [takeProfit, setTakeProfit] = useState("");
  const [problem, setProblem] = useState<BracketProblem | null>(null);
  const problems = fieldProblems(place.error);
  function submit(event: FormEvent) {
    event.preventDefault();
    const fields = { clientOrderId, symbol, side, type, quantity, limitPrice, stopPrice, stopLoss, takeProfit };
    const found = bracketProblem(fields);
    setProblem(found);
    if (found) return;
    place.mutate(orderBody(fields), { onSuccess: () => setClientOrderId(newClientOrderId()) });
  }
  const invalid = (field: string) => problem?.field === field || Boolean(problems[field]);
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="ticket-title">
      <h2 id="ticket-title">Order ticket</h2>
      <div className="row">
        <label>Symbol <input required value={symbol} onChange={(e) => setSymbol(e.target.value)} aria-invalid={Boolean(problems.symbol)} /></label>
        <label>Side
          <select value={side} onChange={(e) => setSide(e.target.value as Side)}>
            <option value="buy">Buy</option><option value="sell">Sell</option>
          </select>
        </label>
        <label>Type
          <select value={type} onChange={(e) => setType(e.target.value as OrderType)}>
            <option value="market">Market</option><option value="limit">Limit</option><option value="stop">Stop</option>
          </select>
        </label>
        <label>Quantity <input required type="number" min="0" step="any" value={quantity} onChange={(e) => setQuantity(e.target.value)} /></label>
        {type === "limit" && <label>Limit price <input required type="number" min="0" step="any" value={limitPrice} onChange={(e) => setLimitPrice(e.target.value)} /></label>}
        {type === "stop" && <label>Stop price <input required type="number" min="0" step="any" value={stopPrice} onChange={(e) => setStopPrice(e.target.value)} /></label>}
      </div>
      <div className="row">
        <label>Stop loss <input type="number" min="0" step="any" placeholder="none" value={stopLoss} onChange={(e) => setStopLoss(e.target.value)} aria-invalid={invalid("stop_loss")} /></label>
        <label>Take profit <input type="number" min="0" step="any" placeholder="none" value={takeProfit} onChange={(e) => setTakeProfit(e.target.value)} aria-invalid={invalid("take_profit")} /></label>
        <button type="submit" disabled={place.isPending}>{side === "buy" ? "Buy" : "Sell"}</button>
      </div>
      <p className="hint">Client order id <code>{clientOrderId}</code>. A stop loss or take profit makes a bracket: exits on the other side that work once the entry fills and cancel each other.</p>
      {problem ? <p className="error" role="alert">{problem.message}</p> : <ErrorMessage error={place.error} />}
      {place.isSuccess && !problem && <p className="success" role="status">Order #{place.data.id} {place.data.status}.</p>}
    </form>
  );
}
