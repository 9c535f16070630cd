/**
 * The chart's last bar, kept current from the hub. Completed bars (`bars:{symbol}:{tf}`) are
 * authoritative: one at the last candle's time replaces it, a newer one is appended, an older
 * one is ignored (it can only repeat what is drawn). Quotes (`quotes:{symbol}`) build the
 * forming bar where no bar has arrived yet for the quote's bucket. Every function returns new
 * arrays and candles, so a changed candle is a new object and unchanged ones keep their identity.
 */
import type { Candle } from "../components/charts";

const MINUTE = 60;
const DAY = 86_400;
// Buckets start at 00:00 UTC; weeks on Monday (1970-01-01 was a Thursday), as the server's.
const MONDAY = 4 * DAY;

export const TIMEFRAME_SECONDS: Record<string, number> = {
  "1m": MINUTE, "5m": 5 * MINUTE, "15m": 15 * MINUTE, "30m": 30 * MINUTE,
  "1h": 60 * MINUTE, "4h": 240 * MINUTE, "1d": DAY, "1w": 7 * DAY,
};

/** The start (UTC seconds) of the `timeframe` bucket holding `seconds`. */
export function bucketStart(seconds: number, timeframe: string): number {
  const length = TIMEFRAME_SECONDS[timeframe];
  if (length === undefined) throw new Error(`unknown timeframe ${timeframe}`);
  const origin = timeframe === "1w" ? MONDAY : 0;
  return Math.floor((seconds - origin) / length) * length + origin;
}

function finite(...values: unknown[]): boolean {
  return values.every((value) => typeof value === "number" && Number.isFinite(value));
}

/** A `bar` event's data (`t` in UTC ns, `o h l c`) as a candle; null when malformed. */
export function barCandle(data: unknown): Candle | null {
  if (typeof data !== "object" || data === null) return null;
  const { t, o, h, l, c } = data as Record<string, unknown>;
  const time = typeof t === "bigint" ? Number(t) : t;
  if (!finite(time, o, h, l, c)) return null;
  return { time: Math.floor((time as number) / 1e9), open: o as number, high: h as number, low: l as number, close: c as number };
}

/** Apply one completed bar: replace the last candle at its time, append when newer. */
export function mergeBar(candles: Candle[], bar: Candle): Candle[] {
  const last = candles[candles.length - 1];
  if (last === undefined || bar.time > last.time) return [...candles, bar];
  if (bar.time < last.time) return candles;
  return [...candles.slice(0, -1), bar];
}

/** The forming candle after a quote at `seconds`, or null when the quote is older than it. */
export function quoteCandle(last: Candle | undefined, price: number, seconds: number, timeframe: string): Candle | null {
  if (!Number.isFinite(price)) return null;
  const time = bucketStart(seconds, timeframe);
  if (last === undefined || time > last.time) return { time, open: price, high: price, low: price, close: price };
  if (time < last.time) return null;
  return { ...last, high: Math.max(last.high, price), low: Math.min(last.low, price), close: price };
}

/** A `quote` event's (or a fresh snapshot's) price and time in seconds; null when stale. */
export function quotePoint(data: unknown): { price: number; seconds: number } | null {
  if (typeof data !== "object" || data === null) return null;
  const { price, timestamp_ns: stamp, stale } = data as Record<string, unknown>;
  const ns = typeof stamp === "bigint" ? Number(stamp) : stamp;
  if (stale === true || !finite(price, ns)) return null;
  return { price: price as number, seconds: Math.floor((ns as number) / 1e9) };
}

/**
 * The one candle to hand to the chart's in-place update when `next` only changed or added
 * the last candle of `previous`; null when the history itself changed and must be redrawn.
 */
export function liveStep(previous: Candle[], next: Candle[]): Candle | null {
  const added = next.length - previous.length;
  if (previous.length === 0 || (added !== 0 && added !== 1)) return null;
  const kept = previous.length - 1;
  if (kept > 0 && (next[0] !== previous[0] || next[kept - 1] !== previous[kept - 1])) return null;
  const last = next[next.length - 1] ?? null;
  const before = previous[kept];
  if (last === null || before === undefined || last.time < before.time) return null;
  if (added === 0 && last.time !== before.time) return null;
  if (added === 1 && next[kept] !== before) return null;
  return last;
}
