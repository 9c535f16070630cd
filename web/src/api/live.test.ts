import { decode, encode } from "@msgpack/msgpack";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { LiveHub, type LiveMessage } from "./live";

class FakeSocket {
  readyState: number = WebSocket.CONNECTING;
  binaryType = "blob";
  sent: Record<string, unknown>[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;

  constructor(readonly url: string) {}

  send(data: Uint8Array): void {
    this.sent.push(decode(data) as Record<string, unknown>);
  }

  close(code = 1000): void {
    this.readyState = WebSocket.CLOSED;
    this.onclose?.({ code });
  }

  open(): void {
    this.readyState = WebSocket.OPEN;
    this.onopen?.();
  }

  receive(frame: object): void {
    const bytes = encode(frame);
    this.onmessage?.({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
  }

  welcome(): void {
    this.open();
    this.receive({ type: "welcome", user_id: 1, expires_at: 0, format: "msgpack" });
  }
}

interface Harness {
  hub: LiveHub;
  sockets: FakeSocket[];
  token: { value: string | null };
  tokenChanged: () => void;
  refresh: ReturnType<typeof vi.fn>;
}

function harness(): Harness {
  const sockets: FakeSocket[] = [];
  const token = { value: "token-1" as string | null };
  let listener: () => void = () => undefined;
  const refresh = vi.fn(() => Promise.resolve(token.value));
  const hub = new LiveHub({
    url: () => "ws://test/api/v1/ws?format=msgpack",
    token: () => token.value,
    refresh,
    onTokenChange: (next) => {
      listener = next;
      return () => undefined;
    },
    create: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket as unknown as WebSocket;
    },
  });
  return { hub, sockets, token, tokenChanged: () => listener(), refresh };
}

function nth<T>(items: T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`expected at least ${index + 1} items, got ${items.length}`);
  return item;
}

function event(channel: string, seq: number, data: unknown): object {
  return { type: "batch", events: [{ type: "event", channel, kind: "fill", ts: 1, data, seq }] };
}

describe("LiveHub", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("test_connect_token_sent_first_and_never_in_url", () => {
    const { hub, sockets } = harness();
    hub.subscribe("orders", () => undefined);
    nth(sockets, 0).open();
    expect(nth(sockets, 0).url).not.toContain("token");
    expect(nth(sockets, 0).url).toContain("format=msgpack");
    expect(nth(sockets, 0).binaryType).toBe("arraybuffer");
    expect(nth(sockets, 0).sent).toEqual([{ type: "auth", token: "token-1" }]);
  });

  it("test_welcome_subscribes_every_followed_channel", () => {
    const { hub, sockets } = harness();
    hub.subscribe("orders", () => undefined);
    hub.subscribe("pnl", () => undefined);
    nth(sockets, 0).welcome();
    expect(nth(sockets, 0).sent[1]).toEqual({ type: "subscribe", channels: ["orders", "pnl"] });
  });

  it("test_snapshot_then_deltas_delivered_in_order", () => {
    const { hub, sockets } = harness();
    const seen: LiveMessage[] = [];
    hub.subscribe("orders", (message) => seen.push(message));
    nth(sockets, 0).welcome();
    nth(sockets, 0).receive({ type: "subscribed", channel: "orders", seq: 0, snapshot: [{ id: 1 }] });
    nth(sockets, 0).receive(event("orders", 1, { order_id: 1 }));
    nth(sockets, 0).receive(event("orders", 1, { order_id: 1 }));
    expect(seen.map((message) => [message.kind, message.seq])).toEqual([
      ["snapshot", 0],
      ["fill", 1],
    ]);
    expect(nth(seen, 0).data).toEqual([{ id: 1 }]);
  });

  it("test_seq_gap_resubscribes_for_fresh_snapshot", () => {
    const { hub, sockets } = harness();
    const seen: LiveMessage[] = [];
    hub.subscribe("orders", (message) => seen.push(message));
    nth(sockets, 0).welcome();
    nth(sockets, 0).receive({ type: "subscribed", channel: "orders", seq: 0, snapshot: null });
    nth(sockets, 0).receive(event("orders", 3, { order_id: 9 }));
    expect(seen).toHaveLength(1);
    expect(nth(sockets, 0).sent.at(-1)).toEqual({ type: "subscribe", channels: ["orders"] });
  });

  it("test_connection_listeners_hear_sign_in_and_drop", () => {
    const { hub, sockets } = harness();
    const heard: boolean[] = [];
    const stop = hub.onConnection((connected) => heard.push(connected));
    hub.subscribe("orders", () => undefined);
    expect(hub.connected).toBe(false);
    nth(sockets, 0).welcome();
    expect(hub.connected).toBe(true);
    nth(sockets, 0).close(1012);
    expect(hub.connected).toBe(false);
    stop();
    vi.advanceTimersByTime(500);
    nth(sockets, 1).welcome();
    expect(heard).toEqual([true, false]);
  });

  it("test_quote_seq_gap_is_applied_without_resubscribing", () => {
    const { hub, sockets } = harness();
    const seen: LiveMessage[] = [];
    hub.subscribe("quotes:AAPL", (message) => seen.push(message));
    nth(sockets, 0).welcome();
    nth(sockets, 0).receive({ type: "subscribed", channel: "quotes:AAPL", seq: 0, snapshot: null });
    nth(sockets, 0).receive(event("quotes:AAPL", 5, { price: 1 }));
    expect(seen.map((message) => message.seq)).toEqual([0, 5]);
    expect(nth(sockets, 0).sent).toHaveLength(2);
  });

  it("test_unsubscribe_last_listener_sends_unsubscribe_and_closes", () => {
    const { hub, sockets } = harness();
    const stopOrders = hub.subscribe("orders", () => undefined);
    const stopPnl = hub.subscribe("pnl", () => undefined);
    nth(sockets, 0).welcome();
    stopOrders();
    expect(nth(sockets, 0).sent.at(-1)).toEqual({ type: "unsubscribe", channels: ["orders"] });
    stopPnl();
    expect(nth(sockets, 0).readyState).toBe(WebSocket.CLOSED);
  });

  it("test_connection_drop_reconnects_with_backoff_and_resubscribes", () => {
    const { hub, sockets } = harness();
    hub.subscribe("positions", () => undefined);
    nth(sockets, 0).welcome();
    nth(sockets, 0).close(1012);
    vi.advanceTimersByTime(499);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    nth(sockets, 1).close(1011);
    vi.advanceTimersByTime(999);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    nth(sockets, 2).welcome();
    expect(nth(sockets, 2).sent).toEqual([
      { type: "auth", token: "token-1" },
      { type: "subscribe", channels: ["positions"] },
    ]);
  });

  it("test_token_refresh_sends_auth_again_on_open_socket", () => {
    const { hub, sockets, token, tokenChanged } = harness();
    hub.subscribe("orders", () => undefined);
    nth(sockets, 0).welcome();
    token.value = "token-2";
    tokenChanged();
    nth(sockets, 0).receive({ type: "welcome", user_id: 1, expires_at: 0, format: "msgpack" });
    expect(nth(sockets, 0).sent.slice(1)).toEqual([
      { type: "subscribe", channels: ["orders"] },
      { type: "auth", token: "token-2" },
    ]);
  });

  it("test_auth_refused_refreshes_token_before_reconnecting", async () => {
    const { hub, sockets, refresh } = harness();
    hub.subscribe("orders", () => undefined);
    nth(sockets, 0).open();
    nth(sockets, 0).close(4401);
    await vi.advanceTimersByTimeAsync(500);
    expect(refresh).toHaveBeenCalledOnce();
    expect(sockets).toHaveLength(2);
  });

  it("test_bad_format_close_does_not_reconnect", () => {
    const { hub, sockets } = harness();
    hub.subscribe("orders", () => undefined);
    nth(sockets, 0).close(4400);
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
  });

  it("test_server_ping_answered_with_pong", () => {
    const { hub, sockets } = harness();
    hub.subscribe("orders", () => undefined);
    nth(sockets, 0).welcome();
    nth(sockets, 0).receive({ type: "ping", ts: 1 });
    expect(nth(sockets, 0).sent.at(-1)).toEqual({ type: "pong" });
  });
});
