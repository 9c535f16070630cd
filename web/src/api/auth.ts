/**
 * The access token lives in this module's memory only; the refresh token is an httpOnly
 * cookie the browser sends to /api/v1/auth. The server treats a second refresh with the same
 * token as reuse and revokes the whole login, so refreshes are single-flight: one promise per
 * tab, and a Web Lock across tabs (the next tab then presents the rotated cookie).
 */

const AUTH = "/api/v1/auth";
// A hint, not a secret: whether this browser signed in, so a first visit skips a doomed refresh.
const SESSION_HINT = "quantdesk-session";
const EARLY_SECONDS = 60;

export interface TokenPair {
  access_token: string;
  expires_in: number;
}

type Listener = () => void;

let accessToken: string | null = null;
let inFlight: Promise<string | null> | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<Listener>();

export function getAccessToken(): string | null {
  return accessToken;
}

export function subscribeAuth(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Whether this browser holds a refresh cookie, as far as the page can tell. */
export function hasSessionHint(): boolean {
  return localStorage.getItem(SESSION_HINT) !== null;
}

function setToken(pair: TokenPair | null): void {
  clearTimeout(timer);
  accessToken = pair?.access_token ?? null;
  if (pair) localStorage.setItem(SESSION_HINT, "1");
  else localStorage.removeItem(SESSION_HINT);
  if (pair) {
    const delay = Math.max(5, pair.expires_in - EARLY_SECONDS) * 1000;
    timer = setTimeout(() => void refreshAccess(), delay);
  }
  for (const listener of listeners) listener();
}

async function postRefresh(): Promise<string | null> {
  const response = await fetch(`${AUTH}/refresh`, { method: "POST", credentials: "same-origin" });
  if (!response.ok) {
    setToken(null);
    return null;
  }
  setToken((await response.json()) as TokenPair);
  return accessToken;
}

function withLock(task: () => Promise<string | null>): Promise<string | null> {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  // request() resolves to the callback's return value, here itself a promise.
  return locks ? locks.request("quantdesk-refresh", task).then((pending) => pending) : task();
}

/** Trade the refresh cookie for a new access token; concurrent callers share one request. */
export function refreshAccess(): Promise<string | null> {
  inFlight ??= withLock(postRefresh)
    .catch(() => null)
    .finally(() => {
      inFlight = null;
    });
  return inFlight;
}

/** Keep the token pair a login or refresh answered with. */
export function acceptTokens(pair: TokenPair): void {
  setToken(pair);
}

/** Forget the access token (the cookie is cleared by the logout endpoint). */
export function clearTokens(): void {
  setToken(null);
}
