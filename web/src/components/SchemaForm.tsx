import { fieldProblem, type Field, type FormValues } from "../lib/schemaForm";

interface Props {
  fields: Field[];
  values: FormValues;
  onChange: (values: FormValues) => void;
  /** Problems to show under fields: the browser's checks and the server's 422. */
  problems: Record<string, string>;
  /** Show expression inputs (the rules builder) as wide text areas. */
  expressions?: boolean;
}

function FieldInput({ field, value, onChange, expressions, invalid, describedBy }: {
  field: Field;
  value: string;
  onChange: (value: string) => void;
  expressions: boolean;
  invalid: boolean;
  describedBy: string;
}) {
  const common = { id: `param-${field.name}`, "aria-invalid": invalid, "aria-describedby": describedBy };
  if (field.kind === "boolean") {
    return (
      <input {...common} type="checkbox" checked={value === "true"} onChange={(e) => onChange(String(e.target.checked))} />
    );
  }
  if (field.kind === "choice") {
    return (
      <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
        {field.nullable && <option value="">(none)</option>}
        {field.choices.map((choice) => (
          <option key={choice}>{choice}</option>
        ))}
      </select>
    );
  }
  if (field.kind === "string" && expressions) {
    return (
      <textarea {...common} className="code" rows={2} value={value} placeholder={field.example}
        spellCheck={false} onChange={(e) => onChange(e.target.value)} />
    );
  }
  const numeric = field.kind === "integer" || field.kind === "number";
  return (
    <input {...common} type="text" inputMode={numeric ? "decimal" : undefined} value={value}
      placeholder={field.nullable ? "empty: not used" : field.example}
      onChange={(e) => onChange(e.target.value)} />
  );
}

/** Inputs generated from a parameter schema, each checked as it is typed. */
export function SchemaForm({ fields, values, onChange, problems, expressions = false }: Props) {
  return (
    <div className="schema-form">
      {fields.map((field) => {
        const value = values[field.name] ?? "";
        const local = fieldProblem(field, value);
        const problem = problems[field.name] ?? (local ? `${field.label} ${local}` : null);
        const hint = `param-${field.name}-hint`;
        return (
          <div className={`field ${expressions && field.kind === "string" ? "wide" : ""}`} key={field.name}>
            <label htmlFor={`param-${field.name}`}>{field.label}</label>
            <FieldInput field={field} value={value} expressions={expressions} invalid={problem !== null}
              describedBy={hint} onChange={(next) => onChange({ ...values, [field.name]: next })} />
            <small id={hint} className={problem ? "error" : "hint"} role={problem ? "alert" : undefined}>
              {problem ?? field.description}
            </small>
          </div>
        );
      })}
    </div>
  );
}
