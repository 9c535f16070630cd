import { useState, type FormEvent } from "react";

import type { Schemas } from "../../api/client";
import { fieldProblems } from "../../api/errors";
import { usePlaceOrder } from "../../hooks/queries/trading";
import { ErrorMessage } from "../States";

type OrderType = "market" | "limit" | "stop";

/** A fresh id per ticket: the API answers a resubmitted id with the original order, not a twin. */
export function newClientOrderId(): string {
  return `web-${crypto.randomUUID()}`;
}

/** The order body for the ticket's fields; prices only for the types that use them. */
export function orderBody(fields: {
  clientOrderId: string; symbol: string; side: "buy" | "sell"; type: OrderType;
  quantity: string; limitPrice: string; stopPrice: string;
}): Schemas["OrderCreate"] {
  return {
    client_order_id: fields.clientOrderId,
    symbol: fields.symbol.trim().toUpperCase(),
    side: fields.side,
    type: fields.type,
    quantity: fields.quantity,
    limit_price: fields.type === "limit" ? fields.limitPrice : null,
    stop_price: fields.type === "stop" ? fields.stopPrice : null,
  };
}

/** Place a paper order: market, limit or stop. */
export function OrderTicket() {
  const place = usePlaceOrder();
  const [clientOrderId, setClientOrderId] = useState(newClientOrderId);
  const [symbol, setSymbol] = useState("");
  const [side, setSide] = useState<"buy" | "sell">("buy");
  const [type, setType] = useState<OrderType>("market");
  const [quantity, setQuantity] = useState("1");
  const [limitPrice, setLimitPrice] = useState("");
  const [stopPrice, setStopPrice] = useState("");
  const problems = fieldProblems(place.error);
  function submit(event: FormEvent) {
    event.preventDefault();
    const body = orderBody({ clientOrderId, symbol, side, type, quantity, limitPrice, stopPrice });
    place.mutate(body, { onSuccess: () => setClientOrderId(newClientOrderId()) });
  }
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="ticket-title">
      <h2 id="ticket-title">Order ticket</h2>
      <div className="row">
        <label>Symbol <input required value={symbol} onChange={(e) => setSymbol(e.target.value)} aria-invalid={Boolean(problems.symbol)} /></label>
        <label>Side
          <select value={side} onChange={(e) => setSide(e.target.value as "buy" | "sell")}>
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
        <button type="submit" disabled={place.isPending}>{side === "buy" ? "Buy" : "Sell"}</button>
      </div>
      <p className="hint">Client order id <code>{clientOrderId}</code></p>
      <ErrorMessage error={place.error} />
      {place.isSuccess && <p className="success" role="status">Order #{place.data.id} {place.data.status}.</p>}
    </form>
  );
}
