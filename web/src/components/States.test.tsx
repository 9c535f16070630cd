import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { ApiError, fieldProblems, rowProblems, toApiError } from "../api/errors";
import { ErrorMessage, QueryView } from "./States";

const importError = {
  error: {
    code: "validation_error",
    message: "1 row(s) of the file are invalid, at row(s) 4",
    details: [{ row: 4, column: "timestamp", problem: "timestamp is not a date or time" }],
  },
};

describe("error display", () => {
  it("test_error_message_shows_the_api_message", () => {
    render(<ErrorMessage error={toApiError(422, importError)} />);
    expect(screen.getByRole("alert")).toHaveTextContent("1 row(s) of the file are invalid, at row(s) 4");
  });

  it("test_error_without_api_body_names_the_status", () => {
    expect(toApiError(502, "<html>").message).toBe("Request failed (HTTP 502)");
  });

  it("test_row_problems_of_import_error_are_listed", () => {
    expect(rowProblems(toApiError(422, importError))).toEqual([
      { row: 4, column: "timestamp", problem: "timestamp is not a date or time" },
    ]);
  });

  it("test_field_problems_of_rules_error_key_by_parameter", () => {
    const error = new ApiError(422, { code: "validation_error", message: "rules parameter entry: column 10", details: { parameter: "entry" } });
    expect(fieldProblems(error)).toEqual({ entry: "rules parameter entry: column 10" });
  });

  it("test_field_problems_of_service_error_key_by_its_field", () => {
    const error = new ApiError(422, { code: "validation_error", message: "stop_loss 101 must be below the last price 100", details: { field: "stop_loss" } });
    expect(fieldProblems(error)).toEqual({ stop_loss: "stop_loss 101 must be below the last price 100" });
  });

  it("test_query_view_error_wins_over_data", () => {
    render(<QueryView query={{ data: [1], error: new Error("boom"), isPending: false }}>{() => "data"}</QueryView>);
    expect(screen.getByRole("alert")).toHaveTextContent("boom");
    expect(screen.queryByText("data")).toBeNull();
  });

  it("test_query_view_empty_shows_empty_state", () => {
    render(<QueryView query={{ data: [], error: null, isPending: false }} isEmpty={(d) => d.length === 0} empty="Nothing yet">{() => "data"}</QueryView>);
    expect(screen.getByText("Nothing yet")).toBeInTheDocument();
  });
});
