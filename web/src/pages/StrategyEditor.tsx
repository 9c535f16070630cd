import { useEffect, useMemo, useState, type FormEvent } from "react";
import { useNavigate, useParams } from "react-router-dom";

import type { Schemas } from "../api/client";
import { fieldProblems } from "../api/errors";
import { SchemaForm } from "../components/SchemaForm";
import { ErrorMessage, Loading } from "../components/States";
import { TIMEFRAMES, type Timeframe } from "../hooks/queries/marketData";
import { useSaveStrategy, useStrategy, useStrategyTypes } from "../hooks/queries/strategies";
import { fieldsOf, initialValues, toParameters, validate, type FormValues, type JsonSchema } from "../lib/schemaForm";

type StrategyType = Schemas["StrategyTypeRead"];
type Strategy = Schemas["StrategyRead"];

interface Draft {
  name: string;
  type: string;
  symbols: string;
  timeframe: Timeframe;
  description: string;
  active: boolean;
}

function draftOf(strategy: Strategy | undefined, firstType: string): Draft {
  return {
    name: strategy?.name ?? "",
    type: strategy?.type ?? firstType,
    symbols: strategy?.symbols.join(", ") ?? "",
    timeframe: (strategy?.timeframe as Timeframe | undefined) ?? "1d",
    description: strategy?.description ?? "",
    active: strategy?.active ?? false,
  };
}

function Editor({ types, strategy }: { types: StrategyType[]; strategy: Strategy | undefined }) {
  const navigate = useNavigate();
  const save = useSaveStrategy(strategy?.id ?? null);
  const [draft, setDraft] = useState(() => draftOf(strategy, types[0]?.name ?? "rules"));
  const type = types.find((candidate) => candidate.name === draft.type);
  const fields = useMemo(() => fieldsOf((type?.parameters ?? {}) as JsonSchema), [type]);
  const [values, setValues] = useState<FormValues>({});
  useEffect(() => {
    const own = strategy && strategy.type === draft.type ? strategy.parameters : (type?.defaults ?? {});
    setValues(initialValues(fields, own));
  }, [fields, strategy, draft.type, type]);

  const local = validate(fields, values);
  const server = fieldProblems(save.error);
  function submit(event: FormEvent) {
    event.preventDefault();
    if (Object.keys(local).length > 0) return;
    const symbols = draft.symbols.split(/[\s,]+/).filter(Boolean).map((s) => s.toUpperCase());
    const body = { ...draft, symbols, description: draft.description || null, parameters: toParameters(fields, values) };
    save.mutate(body, { onSuccess: (saved) => navigate(`/strategies/${saved.id}`, { replace: true }) });
  }
  const set = (key: keyof Draft) => (e: { target: { value: string } }) => setDraft({ ...draft, [key]: e.target.value });
  return (
    <form className="panel" onSubmit={submit}>
      <div className="row">
        <label>Name <input value={draft.name} required maxLength={120} onChange={set("name")} /></label>
        <label>Type
          <select value={draft.type} onChange={set("type")}>
            {types.map((t) => <option key={t.name}>{t.name}</option>)}
          </select>
        </label>
        <label>Symbols <input value={draft.symbols} placeholder="AAPL, MSFT" onChange={set("symbols")} /></label>
        <label>Timeframe
          <select value={draft.timeframe} onChange={set("timeframe")}>
            {TIMEFRAMES.map((tf) => <option key={tf}>{tf}</option>)}
          </select>
        </label>
        <label className="check"><input type="checkbox" checked={draft.active} onChange={(e) => setDraft({ ...draft, active: e.target.checked })} /> Active</label>
      </div>
      <label>Description <input value={draft.description} onChange={set("description")} /></label>
      {type && <p className="hint">{type.description}</p>}
      <h2>{draft.type === "rules" ? "Rules" : "Parameters"}</h2>
      <SchemaForm fields={fields} values={values} onChange={setValues} problems={server} expressions={draft.type === "rules"} />
      <ErrorMessage error={save.error} />
      <button type="submit" disabled={save.isPending || Object.keys(local).length > 0}>
        {save.isPending ? "Saving…" : strategy ? "Save changes" : "Create strategy"}
      </button>
      {save.isSuccess && <p className="success" role="status">Saved.</p>}
    </form>
  );
}

export default function StrategyEditor() {
  const { id } = useParams();
  const strategyId = id ? Number(id) : null;
  const types = useStrategyTypes();
  const strategy = useStrategy(strategyId);
  const error = types.error ?? strategy.error;
  const ready = types.data && (strategyId === null || strategy.data);
  return (
    <section>
      <h1>{strategyId === null ? "New strategy" : `Strategy ${strategy.data?.name ?? ""}`}</h1>
      {error ? <ErrorMessage error={error} /> : ready ? (
        <Editor key={strategyId ?? "new"} types={types.data} strategy={strategy.data} />
      ) : <Loading />}
    </section>
  );
}
