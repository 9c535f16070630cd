/**
 * Price and line charts on TradingView's lightweight-charts. Imported only by pages, which are
 * lazy routes, so the library loads with the first page that draws a chart.
 */
import {
  CandlestickSeries,
  ColorType,
  createChart,
  createSeriesMarkers,
  LineSeries,
  type IChartApi,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from "lightweight-charts";
import { useEffect, useRef } from "react";

import { formatTime } from "../lib/format";
import { liveStep } from "../lib/liveBars";

export interface Candle {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

export interface LinePoint {
  time: number;
  value: number | null;
}

export interface Line {
  name: string;
  points: LinePoint[];
  /** 0 draws over the price; 1, 2… are panes below it. */
  pane?: number;
  color?: string;
}

export interface Marker {
  time: number;
  side: "buy" | "sell";
  text: string;
}

const PALETTE = ["#2f81f7", "#d29922", "#a371f7", "#3fb950", "#f778ba", "#79c0ff"];

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function newChart(element: HTMLElement, timeZone: string): IChartApi {
  return createChart(element, {
    autoSize: true,
    layout: {
      background: { type: ColorType.Solid, color: cssVar("--panel") || "#fff" },
      textColor: cssVar("--text") || "#222",
      fontSize: 11,
      attributionLogo: false,
    },
    grid: {
      vertLines: { color: cssVar("--grid") || "#eee" },
      horzLines: { color: cssVar("--grid") || "#eee" },
    },
    timeScale: { timeVisible: true, borderColor: cssVar("--border") },
    rightPriceScale: { borderColor: cssVar("--border") },
    localization: { timeFormatter: (time: Time) => formatTime(Number(time) * 1000, timeZone) },
  });
}

function lineData(points: LinePoint[]) {
  return points
    .filter((point) => point.value !== null && Number.isFinite(point.value))
    .map((point) => ({ time: point.time as UTCTimestamp, value: point.value as number }));
}

function addLines(chart: IChartApi, lines: Line[]) {
  lines.forEach((line, index) => {
    const series = chart.addSeries(
      LineSeries,
      { color: line.color ?? PALETTE[index % PALETTE.length], lineWidth: 1, title: line.name },
      line.pane ?? 0,
    );
    series.setData(lineData(line.points));
  });
}

function markerShape(marker: Marker): SeriesMarker<Time> {
  const buy = marker.side === "buy";
  return {
    time: marker.time as UTCTimestamp,
    position: buy ? "belowBar" : "aboveBar",
    shape: buy ? "arrowUp" : "arrowDown",
    color: buy ? cssVar("--up") || "#1a7f37" : cssVar("--down") || "#cf222e",
    text: marker.text,
  };
}

interface PriceChartProps {
  candles: Candle[];
  lines?: Line[];
  markers?: Marker[];
  timeZone: string;
  label: string;
  height?: number;
}

type CandleSeries = ReturnType<IChartApi["addSeries"]>;
// Stable defaults: a new [] on each render would rebuild the chart on each live update.
const NO_LINES: Line[] = [];
const NO_MARKERS: Marker[] = [];

function candleData(candles: Candle[]) {
  return candles.map((bar) => ({ ...bar, time: bar.time as UTCTimestamp }));
}

/** Candlesticks with overlay or pane lines and trade markers.
 *
 * When `candles` only changes or adds the last candle (a live bar), that candle is updated in
 * place, so the chart keeps its zoom and scroll; any other change redraws the series. */
export function PriceChart({ candles, lines = NO_LINES, markers = NO_MARKERS, timeZone, label, height = 420 }: PriceChartProps) {
  const element = useRef<HTMLDivElement>(null);
  const view = useRef<{ chart: IChartApi; series: CandleSeries } | null>(null);
  const shown = useRef<Candle[]>(candles);
  const latest = useRef(candles);
  latest.current = candles;
  useEffect(() => {
    if (!element.current) return undefined;
    const chart = newChart(element.current, timeZone);
    const price = chart.addSeries(CandlestickSeries, {
      upColor: cssVar("--up"), downColor: cssVar("--down"), borderVisible: false,
      wickUpColor: cssVar("--up"), wickDownColor: cssVar("--down"),
    });
    price.setData(candleData(latest.current));
    shown.current = latest.current;
    view.current = { chart, series: price };
    if (markers.length) createSeriesMarkers(price, [...markers].sort((a, b) => a.time - b.time).map(markerShape));
    addLines(chart, lines);
    chart.timeScale().fitContent();
    return () => {
      view.current = null;
      chart.remove();
    };
  }, [lines, markers, timeZone]);
  useEffect(() => {
    const current = view.current;
    if (!current || shown.current === candles) return;
    const step = liveStep(shown.current, candles);
    shown.current = candles;
    if (step) {
      current.series.update({ ...step, time: step.time as UTCTimestamp });
      return;
    }
    current.series.setData(candleData(candles));
    current.chart.timeScale().fitContent();
  }, [candles]);
  return <div ref={element} className="chart" style={{ height }} role="img" aria-label={label} />;
}

interface LineChartProps {
  lines: Line[];
  timeZone: string;
  label: string;
  height?: number;
}

/** One or more lines on a shared time axis: equity against benchmark, drawdown. */
export function LineChart({ lines, timeZone, label, height = 260 }: LineChartProps) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!element.current) return undefined;
    const chart = newChart(element.current, timeZone);
    addLines(chart, lines);
    chart.timeScale().fitContent();
    return () => chart.remove();
  }, [lines, timeZone]);
  return <div ref={element} className="chart" style={{ height }} role="img" aria-label={label} />;
}
