import { describe, expect, it } from "vitest";

import { fieldsOf, initialValues, toParameters, validate, type JsonSchema } from "./schemaForm";

const schema: JsonSchema = {
  type: "object",
  properties: {
    period: { type: "integer", title: "Period", minimum: 2, maximum: 100, default: 20 },
    deviations: { type: "number", title: "Deviations", exclusiveMinimum: 0, default: 2 },
    stop_atr: { title: "Stop Atr", anyOf: [{ type: "number", exclusiveMinimum: 0 }, { type: "null" }], default: null },
    exit_at: { type: "string", title: "Exit At", enum: ["middle", "upper"], default: "middle" },
    entry: { type: "string", title: "Entry", minLength: 1, default: "rsi(14) < 30" },
  },
};

describe("schema-driven form", () => {
  const fields = fieldsOf(schema);

  it("test_fields_of_schema_reads_kinds_and_nullability", () => {
    expect(fields.map((f) => [f.name, f.kind, f.nullable])).toEqual([
      ["period", "integer", false],
      ["deviations", "number", false],
      ["stop_atr", "number", true],
      ["exit_at", "choice", false],
      ["entry", "string", false],
    ]);
  });

  it("test_validate_defaults_has_no_problems", () => {
    expect(validate(fields, initialValues(fields, {}))).toEqual({});
  });

  it("test_validate_out_of_range_values_names_field_and_bound", () => {
    const values = { ...initialValues(fields, {}), period: "1", deviations: "0", exit_at: "lower", entry: "" };
    expect(validate(fields, values)).toEqual({
      period: "Period must be at least 2",
      deviations: "Deviations must be greater than 0",
      exit_at: "Exit At must be one of middle, upper",
      entry: "Entry is required",
    });
  });

  it("test_validate_fraction_for_integer_is_rejected", () => {
    const values = { ...initialValues(fields, {}), period: "2.5" };
    expect(validate(fields, values).period).toBe("Period must be a whole number");
  });

  it("test_to_parameters_converts_numbers_and_blank_nullable_to_null", () => {
    const values = { ...initialValues(fields, { period: 30 }), stop_atr: "" };
    expect(toParameters(fields, values)).toEqual({
      period: 30, deviations: 2, stop_atr: null, exit_at: "middle", entry: "rsi(14) < 30",
    });
  });
});
