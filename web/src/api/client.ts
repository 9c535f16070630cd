import createClient from "openapi-fetch";

import { getAccessToken, refreshAccess } from "./auth";
import { toApiError } from "./errors";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

/** Where to go when the session has ended: the login page, remembering this page. */
let onSignedOut: (() => void) | null = null;

export function setSignedOutHandler(handler: (() => void) | null): void {
  onSignedOut = handler;
}

function withToken(request: Request, token: string | null): Request {
  const authorised = new Request(request);
  if (token) authorised.headers.set("Authorization", `Bearer ${token}`);
  return authorised;
}

/** Fetch with the bearer token; on a 401 refresh once and retry, else sign out. */
export async function authFetch(input: Request): Promise<Response> {
  const retry = input.clone();
  const response = await fetch(withToken(input, getAccessToken()));
  if (response.status !== 401 || new URL(input.url).pathname.startsWith("/api/v1/auth/")) {
    return response;
  }
  const token = await refreshAccess();
  if (!token) {
    onSignedOut?.();
    return response;
  }
  return fetch(withToken(retry, token));
}

export const api = createClient<paths>({
  baseUrl: typeof window === "undefined" ? "http://localhost" : window.location.origin,
  fetch: authFetch,
  credentials: "same-origin",
});

/** The data of an openapi-fetch result, or its error as an ApiError. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    throw toApiError(result.response.status, result.error);
  }
  return result.data as T;
}
