import { useEffect, useMemo, useState } from "react";
import { useSearchParams } from "react-router-dom";

import type { Schemas } from "../api/client";
import { PriceChart, type Candle, type Line } from "../components/charts";
import { ErrorMessage, QueryView } from "../components/States";
import { useInstruments } from "../hooks/queries/instruments";
import { TIMEFRAMES, useBars, useIndicatorRegistry, useIndicatorValues, type Timeframe } from "../hooks/queries/marketData";
import { useLiveCandles } from "../hooks/useLiveCandles";
import { useTimeZone } from "../hooks/useTimeZone";
import { formatNumber, formatTime } from "../lib/format";

type Spec = Schemas["IndicatorRead"];
interface Study { id: number; spec: Spec; params: Record<string, number | string> }

const LIMIT = 2000;

function defaults(spec: Spec): Record<string, number | string> {
  return Object.fromEntries(spec.parameters.map((p) => [p.name, p.default as number | string]));
}

function StudyEditor({ study, onChange, onRemove }: { study: Study; onChange: (s: Study) => void; onRemove: () => void }) {
  return (
    <fieldset className="study">
      <legend>{study.spec.name} <small>({study.spec.display})</small></legend>
      {study.spec.parameters.map((p) => (
        <label key={p.name}>{p.name}
          <input inputMode="decimal" size={5} value={study.params[p.name] ?? ""} aria-label={`${study.spec.name} ${p.name}`}
            onChange={(e) => onChange({ ...study, params: { ...study.params, [p.name]: e.target.value === "" ? "" : Number(e.target.value) } })} />
        </label>
      ))}
      <button type="button" className="ghost" onClick={onRemove} aria-label={`Remove ${study.spec.name}`}>×</button>
    </fieldset>
  );
}

/** Fetch one indicator and hand back its lines (overlay on pane 0, else its own pane). */
function useStudyLines(symbol: string, timeframe: Timeframe, study: Study, pane: number) {
  const values = useIndicatorValues(symbol, timeframe, study.spec.name, study.params, LIMIT);
  const lines = useMemo<Line[]>(() => {
    if (!values.data) return [];
    const time = values.data.timestamps.map((iso) => Math.floor(Date.parse(iso) / 1000));
    return Object.entries(values.data.values).map(([output, series]) => ({
      name: `${study.spec.name} ${output}`,
      pane: study.spec.display === "overlay" ? 0 : pane,
      points: (series as (number | null)[]).map((value, i) => ({ time: time[i] ?? 0, value })),
    }));
  }, [values.data, study.spec, pane]);
  return { lines, error: values.error };
}

function StudyLines({ symbol, timeframe, study, pane, onLines }: { symbol: string; timeframe: Timeframe; study: Study; pane: number; onLines: (id: number, lines: Line[]) => void }) {
  const { lines, error } = useStudyLines(symbol, timeframe, study, pane);
  useEffect(() => onLines(study.id, lines), [lines, study.id, onLines]);
  return error ? <ErrorMessage error={error} /> : null;
}

/** The last bar's prices in figures, updated with the chart as live bars and quotes arrive. */
function LastBar({ candle, timeZone }: { candle: Candle | undefined; timeZone: string }) {
  if (!candle) return null;
  return (
    <p className="hint" aria-label="Last bar">
      {formatTime(candle.time * 1000, timeZone)} · O {formatNumber(candle.open, 2)} · H {formatNumber(candle.high, 2)} · L {formatNumber(candle.low, 2)} · C <output>{formatNumber(candle.close, 2)}</output>
    </p>
  );
}

export default function Chart() {
  const timeZone = useTimeZone();
  const [params, setParams] = useSearchParams();
  const symbol = params.get("symbol") ?? "";
  const timeframe = (params.get("timeframe") ?? "1d") as Timeframe;
  const instruments = useInstruments();
  const registry = useIndicatorRegistry();
  const bars = useBars(symbol, timeframe, { limit: LIMIT });
  const [studies, setStudies] = useState<Study[]>([]);
  const [studyLines, setStudyLines] = useState<Record<number, Line[]>>({});
  const onLines = useMemo(() => (id: number, lines: Line[]) => setStudyLines((all) => (all[id] === lines ? all : { ...all, [id]: lines })), []);
  const history = useMemo<Candle[]>(() => (bars.data ? bars.data.time.map((time, i) => ({
    time, open: bars.data.open[i] ?? 0, high: bars.data.high[i] ?? 0, low: bars.data.low[i] ?? 0, close: bars.data.close[i] ?? 0,
  })) : []), [bars.data]);
  const candles = useLiveCandles(symbol, timeframe, history, () => void bars.refetch());
  const lines = useMemo(() => studies.flatMap((s) => studyLines[s.id] ?? []), [studies, studyLines]);
  const select = (key: string, value: string) => setParams((p) => { p.set(key, value); return p; });
  function add(name: string) {
    const spec = registry.data?.find((s) => s.name === name);
    if (spec) setStudies([...studies, { id: Date.now(), spec, params: defaults(spec) }]);
  }
  let pane = 0;
  return (
    <section>
      <h1>Chart</h1>
      <div className="row toolbar">
        <label>Instrument
          <select value={symbol} onChange={(e) => select("symbol", e.target.value)}>
            <option value="">Choose…</option>
            {instruments.data?.items.map((i) => <option key={i.id} value={i.symbol}>{i.symbol}{i.exchange ? ` · ${i.exchange}` : ""}</option>)}
          </select>
        </label>
        <div role="group" aria-label="Resolution" className="segmented">
          {TIMEFRAMES.map((tf) => <button key={tf} type="button" aria-pressed={tf === timeframe} onClick={() => select("timeframe", tf)}>{tf}</button>)}
        </div>
        <label>Add indicator
          <select value="" onChange={(e) => add(e.target.value)}>
            <option value="">Choose…</option>
            {registry.data?.map((s) => <option key={s.name} value={s.name} title={s.description}>{s.name} ({s.display})</option>)}
          </select>
        </label>
      </div>
      <div className="studies">
        {studies.map((study) => {
          if (study.spec.display !== "overlay") pane += 1;
          return (
            <div key={study.id}>
              <StudyEditor study={study} onChange={(s) => setStudies(studies.map((x) => (x.id === s.id ? s : x)))} onRemove={() => setStudies(studies.filter((x) => x.id !== study.id))} />
              {symbol && <StudyLines symbol={symbol} timeframe={timeframe} study={study} pane={pane} onLines={onLines} />}
            </div>
          );
        })}
      </div>
      {!symbol ? <p className="state empty">Choose an instrument to draw its bars.</p> : (
        <QueryView query={bars} isEmpty={() => candles.length === 0} empty={`No ${timeframe} bars stored for ${symbol}; live bars show here as they arrive.`}>
          {() => (
            <>
              <LastBar candle={candles[candles.length - 1]} timeZone={timeZone} />
              <PriceChart candles={candles} lines={lines} timeZone={timeZone} label={`${symbol} ${timeframe} candles`} height={520} />
            </>
          )}
        </QueryView>
      )}
    </section>
  );
}
