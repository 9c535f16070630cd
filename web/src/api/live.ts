/**
 * One WebSocket to the hub at /api/v1/ws for the whole tab, speaking MessagePack. The access
 * token goes in the first message (URLs end up in logs) and again whenever it is refreshed.
 * Channels are reference-counted: the first listener subscribes, the last one unsubscribes.
 * Each channel starts from a snapshot (seq 0) and then receives deltas; a gap in seq on a
 * non-quote channel means events were missed, so the channel is subscribed again for a fresh
 * snapshot. The socket reconnects with capped exponential backoff and resubscribes.
 */
import { decode, encode } from "@msgpack/msgpack";

import { getAccessToken, refreshAccess, subscribeAuth } from "./auth";

/** A snapshot (kind "snapshot", seq 0) or one event of a channel. */
export interface LiveMessage {
  channel: string;
  kind: string;
  seq: number;
  data: unknown;
}

export type LiveListener = (message: LiveMessage) => void;
export type ConnectionListener = (connected: boolean) => void;

interface ServerFrame {
  type?: string;
  channel?: string;
  kind?: string;
  seq?: number;
  snapshot?: unknown;
  data?: unknown;
  events?: ServerFrame[];
}

export interface HubOptions {
  url: () => string;
  token: () => string | null;
  refresh: () => Promise<string | null>;
  onTokenChange: (listener: () => void) => () => void;
  create?: (url: string) => WebSocket;
}

const MAX_BACKOFF_MS = 15_000;
// Close codes after which reconnecting cannot help: a bad URL format.
const FATAL_CODES = new Set([4400]);
const AUTH_CODES = new Set([4401, 4408]);

export class LiveHub {
  private socket: WebSocket | null = null;
  private ready = false;
  private readonly channels = new Map<string, Set<LiveListener>>();
  private readonly seqs = new Map<string, number>();
  private readonly connectionListeners = new Set<ConnectionListener>();
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopAuth: (() => void) | null = null;

  constructor(private readonly options: HubOptions) {}

  /** Follow `channel`; returns the function that stops following it. */
  subscribe(channel: string, listener: LiveListener): () => void {
    const listeners = this.channels.get(channel) ?? new Set<LiveListener>();
    listeners.add(listener);
    this.channels.set(channel, listeners);
    if (listeners.size === 1) this.send({ type: "subscribe", channels: [channel] });
    this.connect();
    return () => this.unsubscribe(channel, listener);
  }

  /** Whether the socket is open and signed in, so followed channels receive events. */
  get connected(): boolean {
    return this.ready;
  }

  /** Hear each time the socket becomes signed in or drops; returns the function that stops it. */
  onConnection(listener: ConnectionListener): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  private setReady(ready: boolean): void {
    if (this.ready === ready) return;
    this.ready = ready;
    for (const listener of this.connectionListeners) listener(ready);
  }

  private unsubscribe(channel: string, listener: LiveListener): void {
    const listeners = this.channels.get(channel);
    if (!listeners?.delete(listener) || listeners.size > 0) return;
    this.channels.delete(channel);
    this.seqs.delete(channel);
    this.send({ type: "unsubscribe", channels: [channel] });
    if (this.channels.size === 0) this.close();
  }

  private connect(): void {
    if (this.socket || this.channels.size === 0) return;
    const socket = (this.options.create ?? ((url) => new WebSocket(url)))(this.options.url());
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.setReady(false);
    socket.onopen = () => this.authenticate(socket);
    socket.onmessage = (event: MessageEvent) => this.receive(event.data);
    socket.onclose = (event: CloseEvent) => this.closed(socket, event.code);
    this.stopAuth ??= this.options.onTokenChange(() => this.reauthenticate());
  }

  private authenticate(socket: WebSocket): void {
    const token = this.options.token();
    if (token) socket.send(encode({ type: "auth", token }));
    else socket.close(4401, "signed out");
  }

  private reauthenticate(): void {
    const token = this.options.token();
    if (this.socket?.readyState === WebSocket.OPEN && token) {
      this.socket.send(encode({ type: "auth", token }));
    }
  }

  private closed(socket: WebSocket, code: number): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.seqs.clear();
    this.setReady(false);
    if (this.channels.size === 0 || FATAL_CODES.has(code)) return;
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempts);
    this.attempts += 1;
    const reconnect = AUTH_CODES.has(code)
      ? () => void this.options.refresh().then((token) => token && this.connect())
      : () => this.connect();
    this.timer = setTimeout(reconnect, delay);
  }

  private receive(raw: unknown): void {
    const frame = decodeFrame(raw);
    if (!frame) return;
    if (frame.type === "welcome") this.welcomed();
    else if (frame.type === "ping") this.send({ type: "pong" });
    else if (frame.type === "subscribed" && frame.channel) this.snapshot(frame);
    else if (frame.type === "batch") for (const event of frame.events ?? []) this.event(event);
    else if (frame.type === "event") this.event(frame);
  }

  private welcomed(): void {
    if (this.ready) return;
    this.setReady(true);
    this.attempts = 0;
    this.send({ type: "subscribe", channels: [...this.channels.keys()] });
  }

  private snapshot(frame: ServerFrame): void {
    const channel = frame.channel ?? "";
    this.seqs.set(channel, frame.seq ?? 0);
    this.emit({ channel, kind: "snapshot", seq: frame.seq ?? 0, data: frame.snapshot ?? null });
  }

  private event(frame: ServerFrame): void {
    const channel = frame.channel ?? "";
    const last = this.seqs.get(channel);
    if (last === undefined) return;
    const seq = frame.seq ?? last + 1;
    if (seq <= last) return;
    if (seq > last + 1 && !channel.startsWith("quotes:")) {
      this.seqs.delete(channel);
      this.send({ type: "subscribe", channels: [channel] });
      return;
    }
    this.seqs.set(channel, seq);
    this.emit({ channel, kind: frame.kind ?? "event", seq, data: frame.data ?? null });
  }

  private emit(message: LiveMessage): void {
    for (const listener of this.channels.get(message.channel) ?? []) listener(message);
  }

  private send(message: object): void {
    const socket = this.socket;
    if (this.ready && socket?.readyState === WebSocket.OPEN) socket.send(encode(message));
  }

  private close(): void {
    clearTimeout(this.timer);
    this.stopAuth?.();
    this.stopAuth = null;
    const socket = this.socket;
    this.socket = null;
    this.setReady(false);
    socket?.close(1000, "no channels");
  }
}

function decodeFrame(raw: unknown): ServerFrame | null {
  try {
    if (raw instanceof ArrayBuffer) return decode(new Uint8Array(raw)) as ServerFrame;
    if (ArrayBuffer.isView(raw)) return decode(raw) as ServerFrame;
    if (typeof raw === "string") return JSON.parse(raw) as ServerFrame;
  } catch {
    return null;
  }
  return null;
}

function hubUrl(): string {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${window.location.host}/api/v1/ws?format=msgpack`;
}

export const liveHub = new LiveHub({
  url: hubUrl,
  token: getAccessToken,
  refresh: refreshAccess,
  onTokenChange: subscribeAuth,
});
