import { describe, expect, it } from "vitest";

import type { Candle } from "../components/charts";
import { barCandle, bucketStart, liveStep, mergeBar, quoteCandle, quotePoint } from "./liveBars";

const DAY = 86_400;
// 2026-11-16 00:00 UTC, a Monday.
const MONDAY = 1_794_787_200;

function candle(time: number, close: number): Candle {
  return { time, open: close, high: close + 1, low: close - 1, close };
}

describe("mergeBar", () => {
  const history = [candle(MONDAY, 100), candle(MONDAY + DAY, 101)];

  it("test_bar_at_last_time_replaces_last_candle_in_place", () => {
    const bar = candle(MONDAY + DAY, 105);
    const merged = mergeBar(history, bar);
    expect(merged).toEqual([history[0], bar]);
    expect(merged[0]).toBe(history[0]);
    expect(history[1]?.close).toBe(101);
  });

  it("test_newer_bar_is_appended", () => {
    const bar = candle(MONDAY + 2 * DAY, 99);
    expect(mergeBar(history, bar)).toEqual([...history, bar]);
  });

  it("test_older_bar_is_ignored", () => {
    expect(mergeBar(history, candle(MONDAY, 50))).toBe(history);
  });

  it("test_first_bar_on_empty_chart_is_drawn", () => {
    expect(mergeBar([], candle(MONDAY, 1))).toEqual([candle(MONDAY, 1)]);
  });
});

describe("quoteCandle", () => {
  const last = { time: MONDAY, open: 100, high: 102, low: 98, close: 101 };

  it("test_quote_in_last_bucket_moves_close_and_extends_range", () => {
    expect(quoteCandle(last, 104, MONDAY + 3600, "1d")).toEqual({ ...last, high: 104, close: 104 });
    expect(quoteCandle(last, 97, MONDAY + 3600, "1d")).toEqual({ ...last, low: 97, close: 97 });
  });

  it("test_quote_in_newer_bucket_opens_forming_bar", () => {
    const opened = quoteCandle(last, 103, MONDAY + DAY + 5, "1d");
    expect(opened).toEqual({ time: MONDAY + DAY, open: 103, high: 103, low: 103, close: 103 });
  });

  it("test_quote_older_than_last_bar_is_ignored", () => {
    expect(quoteCandle(last, 90, MONDAY - 1, "1d")).toBeNull();
  });

  it("test_quote_on_empty_chart_opens_first_bar", () => {
    expect(quoteCandle(undefined, 10, MONDAY + 125, "1m")?.time).toBe(MONDAY + 120);
  });
});

describe("bucketStart", () => {
  it("test_weeks_start_on_monday_and_days_at_midnight_utc", () => {
    expect(bucketStart(MONDAY + 3 * DAY + 7, "1w")).toBe(MONDAY);
    expect(bucketStart(MONDAY - 1, "1w")).toBe(MONDAY - 7 * DAY);
    expect(bucketStart(MONDAY + 13 * 3600, "4h")).toBe(MONDAY + 12 * 3600);
    expect(bucketStart(MONDAY + DAY - 1, "1d")).toBe(MONDAY);
  });

  it("test_unknown_timeframe_throws", () => {
    expect(() => bucketStart(0, "2d")).toThrow("unknown timeframe 2d");
  });
});

describe("event decoding", () => {
  it("test_bar_event_nanoseconds_become_seconds", () => {
    const data = { t: MONDAY * 1e9, o: 1, h: 3, l: 0.5, c: 2, v: 10 };
    expect(barCandle(data)).toEqual({ time: MONDAY, open: 1, high: 3, low: 0.5, close: 2 });
    expect(barCandle({ ...data, t: BigInt(MONDAY) * 1_000_000_000n })?.time).toBe(MONDAY);
  });

  it("test_malformed_bar_is_null", () => {
    expect(barCandle({ t: 1, o: "1", h: 1, l: 1, c: 1 })).toBeNull();
    expect(barCandle(null)).toBeNull();
  });

  it("test_stale_quote_snapshot_is_not_a_live_price", () => {
    const quote = { price: 10, timestamp_ns: MONDAY * 1e9 };
    expect(quotePoint(quote)).toEqual({ price: 10, seconds: MONDAY });
    expect(quotePoint({ ...quote, stale: true })).toBeNull();
    expect(quotePoint(null)).toBeNull();
  });
});

describe("liveStep", () => {
  const history = [candle(MONDAY, 1), candle(MONDAY + DAY, 2), candle(MONDAY + 2 * DAY, 3)];

  it("test_replaced_last_candle_is_an_in_place_update", () => {
    const next = mergeBar(history, candle(MONDAY + 2 * DAY, 4));
    expect(liveStep(history, next)).toEqual(candle(MONDAY + 2 * DAY, 4));
  });

  it("test_appended_candle_is_an_in_place_update", () => {
    const next = mergeBar(history, candle(MONDAY + 3 * DAY, 5));
    expect(liveStep(history, next)).toEqual(candle(MONDAY + 3 * DAY, 5));
  });

  it("test_replace_and_append_together_redraws", () => {
    const next = mergeBar(mergeBar(history, candle(MONDAY + 2 * DAY, 4)), candle(MONDAY + 3 * DAY, 5));
    expect(liveStep(history, next)).toBeNull();
  });

  it("test_other_history_redraws", () => {
    expect(liveStep(history, [...history.map((c) => ({ ...c }))])).toBeNull();
    expect(liveStep([], history)).toBeNull();
    expect(liveStep(history, history.slice(0, 2))).toBeNull();
  });
});
