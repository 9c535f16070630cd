/**
 * Form fields from a strategy type's parameter JSON schema (Pydantic's output): each property
 * becomes one input, its constraints are checked in the browser before the server sees them.
 */

export interface JsonSchema {
  type?: string;
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  examples?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
}

export type FieldKind = "integer" | "number" | "string" | "boolean" | "choice";

export interface Field {
  name: string;
  label: string;
  kind: FieldKind;
  nullable: boolean;
  description: string;
  choices: string[];
  example: string;
  schema: JsonSchema;
}

export type FormValues = Record<string, string>;

function concrete(schema: JsonSchema): { schema: JsonSchema; nullable: boolean } {
  const options = schema.anyOf ?? [];
  const typed = options.find((option) => option.type !== "null");
  if (!typed) return { schema, nullable: false };
  return { schema: { ...schema, ...typed }, nullable: options.some((o) => o.type === "null") };
}

function kindOf(schema: JsonSchema): FieldKind {
  if (schema.enum) return "choice";
  if (schema.type === "integer" || schema.type === "number" || schema.type === "boolean") {
    return schema.type;
  }
  return "string";
}

/** The fields of an object schema, in the schema's order. */
export function fieldsOf(schema: JsonSchema): Field[] {
  return Object.entries(schema.properties ?? {}).map(([name, property]) => {
    const { schema: inner, nullable } = concrete(property);
    return {
      name,
      label: property.title ?? name,
      kind: kindOf(inner),
      nullable,
      description: property.description ?? "",
      choices: (inner.enum ?? []).map(String),
      example: property.examples?.[0] === undefined ? "" : String(property.examples[0]),
      schema: inner,
    };
  });
}

/** Form values (text) from parameters, falling back to each field's default. */
export function initialValues(fields: Field[], parameters: Record<string, unknown>): FormValues {
  const values: FormValues = {};
  for (const field of fields) {
    const value = field.name in parameters ? parameters[field.name] : field.schema.default;
    values[field.name] = value === null || value === undefined ? "" : String(value);
  }
  return values;
}

function numberProblem(field: Field, value: number): string | null {
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = field.schema;
  if (field.kind === "integer" && !Number.isInteger(value)) return "must be a whole number";
  if (minimum !== undefined && value < minimum) return `must be at least ${minimum}`;
  if (maximum !== undefined && value > maximum) return `must be at most ${maximum}`;
  if (exclusiveMinimum !== undefined && value <= exclusiveMinimum) {
    return `must be greater than ${exclusiveMinimum}`;
  }
  if (exclusiveMaximum !== undefined && value >= exclusiveMaximum) {
    return `must be less than ${exclusiveMaximum}`;
  }
  return null;
}

function textProblem(field: Field, value: string): string | null {
  const { minLength, maxLength } = field.schema;
  if (minLength !== undefined && value.length < minLength) return `needs ${minLength}+ characters`;
  if (maxLength !== undefined && value.length > maxLength) return `allows ${maxLength} characters`;
  if (field.kind === "choice" && !field.choices.includes(value)) {
    return `must be one of ${field.choices.join(", ")}`;
  }
  return null;
}

/** The problem with one field's text, or null when it is valid. */
export function fieldProblem(field: Field, text: string): string | null {
  const value = text.trim();
  if (value === "") return field.nullable || field.kind === "boolean" ? null : "is required";
  if (field.kind === "integer" || field.kind === "number") {
    const number = Number(value);
    return Number.isFinite(number) ? numberProblem(field, number) : "must be a number";
  }
  return field.kind === "boolean" ? null : textProblem(field, value);
}

/** Every field's problem, keyed by field name; empty when the form is valid. */
export function validate(fields: Field[], values: FormValues): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const field of fields) {
    const problem = fieldProblem(field, values[field.name] ?? "");
    if (problem) problems[field.name] = `${field.label} ${problem}`;
  }
  return problems;
}

/** The parameters object to send: numbers as numbers, blanks of nullable fields as null. */
export function toParameters(fields: Field[], values: FormValues): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  for (const field of fields) {
    const text = (values[field.name] ?? "").trim();
    if (field.kind === "boolean") parameters[field.name] = text === "true";
    else if (text === "") parameters[field.name] = null;
    else if (field.kind === "integer" || field.kind === "number") parameters[field.name] = Number(text);
    else parameters[field.name] = text;
  }
  return parameters;
}
