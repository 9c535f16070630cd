import { useState, type FormEvent } from "react";

import type { Schemas } from "../api/client";
import { rowProblems } from "../api/errors";
import { DataTable, type Column } from "../components/DataTable";
import { ErrorMessage, QueryView } from "../components/States";
import { useInstruments } from "../hooks/queries/instruments";
import {
  TIMEFRAMES, useCreateSynthetic, useFetchBars, useImportFile, type Timeframe,
} from "../hooks/queries/marketData";
import { useTimeZone } from "../hooks/useTimeZone";
import { previewCsv, type CsvPreview } from "../lib/csv";
import { formatTime } from "../lib/format";

type Instrument = Schemas["InstrumentRead"];
type Summary = Schemas["ImportSummaryRead"];

function TimeframeSelect({ id, value, onChange }: { id: string; value: Timeframe; onChange: (v: Timeframe) => void }) {
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value as Timeframe)}>
      {TIMEFRAMES.map((tf) => <option key={tf}>{tf}</option>)}
    </select>
  );
}

function SummaryLine({ summary }: { summary: Summary | undefined }) {
  if (!summary) return null;
  return (
    <p className="success" role="status">
      {summary.symbol} {summary.timeframe}: {summary.rows} rows, {summary.inserted} new, {summary.updated} updated,{" "}
      {summary.unchanged} unchanged.
    </p>
  );
}

function PreviewTable({ preview }: { preview: CsvPreview }) {
  return (
    <div className="table-wrap preview">
      <table>
        <caption>First {preview.rows.length} rows of the file</caption>
        <thead><tr>{preview.header.map((h, i) => <th key={i}>{h}</th>)}</tr></thead>
        <tbody>
          {preview.rows.map((row, r) => <tr key={r}>{row.map((cell, c) => <td key={c}>{cell}</td>)}</tr>)}
        </tbody>
      </table>
    </div>
  );
}

function ImportForm() {
  const mutation = useImportFile();
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<CsvPreview | null>(null);
  const [symbol, setSymbol] = useState("");
  const [timeframe, setTimeframe] = useState<Timeframe>("1d");
  const [exchange, setExchange] = useState("");
  const [timezone, setTimezone] = useState("UTC");

  async function choose(chosen: File | null) {
    setFile(chosen);
    mutation.reset();
    const isCsv = chosen && !chosen.name.toLowerCase().endsWith(".parquet");
    setPreview(isCsv ? previewCsv(await chosen.slice(0, 64 * 1024).text()) : null);
    if (chosen && !symbol) setSymbol(chosen.name.replace(/\.[^.]+$/, "").toUpperCase());
  }
  function submit(event: FormEvent) {
    event.preventDefault();
    if (file) mutation.mutate({ file, symbol, timeframe, exchange, timezone });
  }
  const problems = rowProblems(mutation.error);
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="import-title">
      <h2 id="import-title">Import a CSV or Parquet file</h2>
      <div className="row">
        <label>File <input type="file" accept=".csv,.parquet,text/csv" required onChange={(e) => void choose(e.target.files?.[0] ?? null)} /></label>
        <label>Symbol <input value={symbol} required maxLength={32} onChange={(e) => setSymbol(e.target.value)} /></label>
        <label>Timeframe <TimeframeSelect id="import-timeframe" value={timeframe} onChange={setTimeframe} /></label>
        <label>Exchange <input value={exchange} maxLength={32} onChange={(e) => setExchange(e.target.value)} /></label>
        <label>Time zone of naive times <input value={timezone} onChange={(e) => setTimezone(e.target.value)} /></label>
        <button type="submit" disabled={!file || mutation.isPending}>{mutation.isPending ? "Importing…" : "Import"}</button>
      </div>
      {preview && <PreviewTable preview={preview} />}
      <ErrorMessage error={mutation.error} />
      {problems.length > 0 && (
        <ul className="problems" aria-label="Rows to fix">
          {problems.map((p) => <li key={`${p.row}-${p.column}`}>Row {p.row}, {p.column}: {p.problem}</li>)}
        </ul>
      )}
      <SummaryLine summary={mutation.data} />
    </form>
  );
}

function SyntheticForm() {
  const mutation = useCreateSynthetic();
  const [form, setForm] = useState({ symbol: "SYNTH", timeframe: "1d" as Timeframe, start: "2022-01-01", bars: "1000", seed: "0", volatility: "0.25", drift: "0.05" });
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value });
  function submit(event: FormEvent) {
    event.preventDefault();
    mutation.mutate({
      symbol: form.symbol, timeframe: form.timeframe, start: form.start, bars: Number(form.bars),
      seed: Number(form.seed), volatility: Number(form.volatility), drift: Number(form.drift),
    });
  }
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="synthetic-title">
      <h2 id="synthetic-title">Generate synthetic bars</h2>
      <div className="row">
        <label>Symbol <input value={form.symbol} required onChange={set("symbol")} /></label>
        <label>Timeframe <TimeframeSelect id="synthetic-timeframe" value={form.timeframe} onChange={(timeframe) => setForm({ ...form, timeframe })} /></label>
        <label>Start <input type="date" value={form.start} required onChange={set("start")} /></label>
        <label>Bars <input inputMode="numeric" value={form.bars} onChange={set("bars")} /></label>
        <label>Seed <input inputMode="numeric" value={form.seed} onChange={set("seed")} /></label>
        <label>Volatility <input inputMode="decimal" value={form.volatility} onChange={set("volatility")} /></label>
        <label>Drift <input inputMode="decimal" value={form.drift} onChange={set("drift")} /></label>
        <button type="submit" disabled={mutation.isPending}>Generate</button>
      </div>
      <ErrorMessage error={mutation.error} />
      <SummaryLine summary={mutation.data} />
    </form>
  );
}

function FetchForm() {
  const mutation = useFetchBars();
  const [provider, setProvider] = useState<Schemas["FetchRequest"]["provider"]>("yfinance");
  const [symbol, setSymbol] = useState("");
  const [timeframe, setTimeframe] = useState<Timeframe>("1d");
  const [start, setStart] = useState("");
  function submit(event: FormEvent) {
    event.preventDefault();
    mutation.mutate({ provider, symbol, timeframe, start: start || null });
  }
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="fetch-title">
      <h2 id="fetch-title">Fetch from a data provider</h2>
      <div className="row">
        <label>Provider
          <select value={provider} onChange={(e) => setProvider(e.target.value as typeof provider)}>
            <option value="yfinance">Yahoo Finance</option>
            <option value="twelvedata">Twelve Data</option>
          </select>
        </label>
        <label>Symbol <input value={symbol} required onChange={(e) => setSymbol(e.target.value)} /></label>
        <label>Timeframe <TimeframeSelect id="fetch-timeframe" value={timeframe} onChange={setTimeframe} /></label>
        <label>From <input type="date" value={start} onChange={(e) => setStart(e.target.value)} /></label>
        <button type="submit" disabled={mutation.isPending}>{mutation.isPending ? "Fetching…" : "Fetch"}</button>
      </div>
      <ErrorMessage error={mutation.error} />
      <SummaryLine summary={mutation.data} />
    </form>
  );
}

function instrumentColumns(timeZone: string): Column<Instrument>[] {
  return [
    { key: "symbol", label: "Symbol", render: (i) => i.symbol, sortValue: (i) => i.symbol },
    { key: "exchange", label: "Exchange", render: (i) => i.exchange, sortValue: (i) => i.exchange },
    { key: "class", label: "Class", render: (i) => i.asset_class, sortValue: (i) => i.asset_class },
    { key: "currency", label: "Currency", render: (i) => i.currency, sortValue: (i) => i.currency },
    { key: "name", label: "Name", render: (i) => i.name ?? "", sortValue: (i) => i.name },
    { key: "active", label: "Active", render: (i) => (i.active ? "yes" : "no"), sortValue: (i) => i.active },
    { key: "updated", label: "Updated", render: (i) => formatTime(i.updated_at, timeZone), sortValue: (i) => i.updated_at },
  ];
}

export default function MarketData() {
  const timeZone = useTimeZone();
  const [search, setSearch] = useState("");
  const instruments = useInstruments(search);
  return (
    <section>
      <h1>Market data</h1>
      <ImportForm />
      <div className="grid-2">
        <SyntheticForm />
        <FetchForm />
      </div>
      <article className="panel">
        <h2>Instruments</h2>
        <label>Search <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} /></label>
        <QueryView query={instruments} isEmpty={(d) => d.items.length === 0} empty="No instruments yet: import a file or generate synthetic bars.">
          {(d) => <DataTable caption="Instruments" rows={d.items} columns={instrumentColumns(timeZone)} rowKey={(i) => i.id} initialSort={{ key: "symbol", direction: "asc" }} />}
        </QueryView>
      </article>
    </section>
  );
}
