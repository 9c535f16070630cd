import { useMemo, useRef, useState } from "react";

import type { Candle } from "../components/charts";
import { barCandle, mergeBar, quoteCandle, quotePoint } from "../lib/liveBars";
import { useLiveTopic } from "./useLiveTopic";

/**
 * `history` with its last bar kept current by the hub: completed bars from
 * `bars:{symbol}:{timeframe}` and, between them, the forming bar from `quotes:{symbol}`.
 *
 * Live candles are kept apart from `history` and laid over it, so a refetch of the history
 * keeps them. A second snapshot on the bars channel means the hub saw a gap in its sequence
 * (or reconnected) and events were missed: `onResync` then refetches the history.
 */
export function useLiveCandles(
  symbol: string,
  timeframe: string,
  history: Candle[],
  onResync: () => void,
): Candle[] {
  // Keyed by instrument and timeframe, so another choice never shows the last one's bars.
  const key = `${symbol}:${timeframe}`;
  const [live, setLive] = useState<{ key: string; tail: Candle[] }>({ key, tail: [] });
  const tail = live.key === key ? live.tail : NONE;
  const historyRef = useRef(history);
  historyRef.current = history;
  const snapshots = useRef({ key, count: 0 });
  const apply = (change: (current: Candle[]) => Candle[]) =>
    setLive((state) => {
      const current = state.key === key ? state.tail : NONE;
      const next = change(current);
      return next === current && state.key === key ? state : { key, tail: next };
    });
  useLiveTopic(symbol ? `bars:${symbol}:${timeframe}` : null, (message) => {
    if (message.kind === "snapshot") {
      if (snapshots.current.key !== key) snapshots.current = { key, count: 0 };
      snapshots.current.count += 1;
      if (snapshots.current.count > 1) onResync();
      return;
    }
    const bar = barCandle(message.data);
    if (bar) apply((current) => mergeBar(current, bar));
  });
  useLiveTopic(symbol ? `quotes:${symbol}` : null, (message) => {
    const quote = quotePoint(message.data);
    if (!quote) return;
    apply((current) => {
      const forming = quoteCandle(lastOf(historyRef.current, current), quote.price, quote.seconds, timeframe);
      return forming ? mergeBar(current, forming) : current;
    });
  });
  return useMemo(() => tail.reduce(mergeBar, history), [history, tail]);
}

const NONE: Candle[] = [];

function lastOf(history: Candle[], tail: Candle[]): Candle | undefined {
  const stored = history[history.length - 1];
  const live = tail[tail.length - 1];
  if (live === undefined) return stored;
  return stored === undefined || live.time >= stored.time ? live : stored;
}
