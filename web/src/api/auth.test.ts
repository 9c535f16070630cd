import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { clearTokens, getAccessToken, hasSessionHint, refreshAccess } from "./auth";
import { authFetch, setSignedOutHandler } from "./client";

function tokenResponse(token: string): Response {
  return new Response(JSON.stringify({ access_token: token, expires_in: 900 }), { status: 200 });
}

describe("refreshAccess", () => {
  beforeEach(() => clearTokens());
  afterEach(() => vi.unstubAllGlobals());

  it("test_refresh_concurrent_callers_sends_one_request", async () => {
    const fetch = vi.fn(async () => tokenResponse("fresh"));
    vi.stubGlobal("fetch", fetch);
    const tokens = await Promise.all([refreshAccess(), refreshAccess(), refreshAccess()]);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(tokens).toEqual(["fresh", "fresh", "fresh"]);
    expect(getAccessToken()).toBe("fresh");
  });

  it("test_refresh_after_settling_sends_a_new_request", async () => {
    const fetch = vi.fn(async () => tokenResponse("again"));
    vi.stubGlobal("fetch", fetch);
    await refreshAccess();
    await refreshAccess();
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it("test_refresh_rejected_cookie_clears_token", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => tokenResponse("first")));
    await refreshAccess();
    vi.stubGlobal("fetch", vi.fn(async () => new Response("{}", { status: 401 })));
    expect(await refreshAccess()).toBeNull();
    expect(getAccessToken()).toBeNull();
  });
});

describe("authFetch", () => {
  beforeEach(() => clearTokens());
  afterEach(() => {
    vi.unstubAllGlobals();
    setSignedOutHandler(null);
  });

  it("test_auth_fetch_401_refreshes_once_and_retries_with_new_token", async () => {
    const seen: (string | null)[] = [];
    vi.stubGlobal("fetch", vi.fn(async (input: Request | string) => {
      if (typeof input === "string") return tokenResponse("renewed");
      seen.push(input.headers.get("Authorization"));
      return new Response("{}", { status: seen.length === 1 ? 401 : 200 });
    }));
    const response = await authFetch(new Request("http://localhost/api/v1/jobs"));
    expect(response.status).toBe(200);
    expect(seen).toEqual([null, "Bearer renewed"]);
  });

  it("test_auth_fetch_401_without_session_signs_out", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response("{}", { status: 401 })));
    const signedOut = vi.fn();
    setSignedOutHandler(signedOut);
    const response = await authFetch(new Request("http://localhost/api/v1/jobs"));
    expect(response.status).toBe(401);
    expect(signedOut).toHaveBeenCalledOnce();
  });

  it("test_auth_fetch_concurrent_401s_share_one_refresh", async () => {
    let refreshes = 0;
    vi.stubGlobal("fetch", vi.fn(async (input: Request | string) => {
      if (typeof input === "string") {
        refreshes += 1;
        return tokenResponse("shared");
      }
      const ok = input.headers.get("Authorization") === "Bearer shared";
      return new Response("{}", { status: ok ? 200 : 401 });
    }));
    const urls = ["jobs", "strategies", "backtests"].map((p) => `http://localhost/api/v1/${p}`);
    const responses = await Promise.all(urls.map((url) => authFetch(new Request(url))));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(refreshes).toBe(1);
  });
});

describe("session hint", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("test_session_hint_follows_sign_in_and_out", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => tokenResponse("t")));
    clearTokens();
    expect(hasSessionHint()).toBe(false);
    await refreshAccess();
    expect(hasSessionHint()).toBe(true);
    clearTokens();
    expect(hasSessionHint()).toBe(false);
  });
});
