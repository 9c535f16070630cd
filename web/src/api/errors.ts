/** The API's error body: `{"error": {"code", "message", "details"}}`. */
export interface ErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

/** An API failure carrying the server's message, which is what the user should read. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, body: ErrorBody) {
    super(body.message);
    this.name = "ApiError";
    this.status = status;
    this.code = body.code;
    this.details = body.details;
  }
}

function isErrorBody(value: unknown): value is { error: ErrorBody } {
  if (typeof value !== "object" || value === null || !("error" in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === "object" && error !== null && "message" in error;
}

/** Turn any response body into an ApiError, falling back to the HTTP status text. */
export function toApiError(status: number, body: unknown): ApiError {
  if (isErrorBody(body)) return new ApiError(status, body.error);
  const message = status === 0 ? "The server cannot be reached" : `Request failed (HTTP ${status})`;
  return new ApiError(status, { code: "http_error", message });
}

/** The text to show for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A row-level problem of a file import (`details` of a 422 on /market-data/import). */
export interface RowProblem {
  row: number;
  column: string;
  problem: string;
}

/** The row-level problems in an error's details, when it has them. */
export function rowProblems(error: unknown): RowProblem[] {
  if (!(error instanceof ApiError) || !Array.isArray(error.details)) return [];
  return error.details.filter(
    (item): item is RowProblem =>
      typeof item === "object" && item !== null && "row" in item && "problem" in item,
  );
}

/** The field-level problems of a 422 (`details: [{field, message}]`, or one `details.field` or
 * `details.parameter` that the error's message is about), keyed by field. */
export function fieldProblems(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  const problems: Record<string, string> = {};
  if (Array.isArray(error.details)) {
    for (const item of error.details as { field?: string; message?: string }[]) {
      if (item.field && item.message) problems[item.field.split(".").at(-1) ?? item.field] = item.message;
    }
  } else if (typeof error.details === "object" && error.details !== null) {
    const { parameter, field } = error.details as { parameter?: unknown; field?: unknown };
    const named = typeof parameter === "string" ? parameter : field;
    if (typeof named === "string") problems[named] = error.message;
  }
  return problems;
}
