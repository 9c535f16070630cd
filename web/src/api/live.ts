/**
 * One WebSocket to the hub at /api/v1/ws for the whole tab. Topics are reference-counted:
 * the first listener subscribes, the last one unsubscribes. The socket reconnects with capped
 * exponential backoff and subscribes to every live topic again after each reconnect.
 */
import { getAccessToken } from "./auth";

export type LiveListener = (data: unknown) => void;

interface Frame {
  topic?: string;
  data?: unknown;
}

const MAX_BACKOFF_MS = 15_000;

export class LiveHub {
  private socket: WebSocket | null = null;
  private readonly topics = new Map<string, Set<LiveListener>>();
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly url: () => string,
    private readonly create: (url: string) => WebSocket = (url) => new WebSocket(url),
  ) {}

  subscribe(topic: string, listener: LiveListener): () => void {
    const listeners = this.topics.get(topic) ?? new Set<LiveListener>();
    listeners.add(listener);
    this.topics.set(topic, listeners);
    if (listeners.size === 1) this.send({ type: "subscribe", topics: [topic] });
    this.connect();
    return () => this.unsubscribe(topic, listener);
  }

  private unsubscribe(topic: string, listener: LiveListener): void {
    const listeners = this.topics.get(topic);
    if (!listeners?.delete(listener) || listeners.size > 0) return;
    this.topics.delete(topic);
    this.send({ type: "unsubscribe", topics: [topic] });
    if (this.topics.size === 0) this.close();
  }

  private connect(): void {
    if (this.socket || this.topics.size === 0) return;
    const socket = this.create(this.url());
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.send({ type: "subscribe", topics: [...this.topics.keys()] });
    };
    socket.onmessage = (event: MessageEvent) => this.dispatch(event.data);
    socket.onclose = () => this.scheduleReconnect(socket);
  }

  private scheduleReconnect(socket: WebSocket): void {
    if (this.socket !== socket) return;
    this.socket = null;
    if (this.topics.size === 0) return;
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempts);
    this.attempts += 1;
    this.timer = setTimeout(() => this.connect(), delay);
  }

  private dispatch(raw: unknown): void {
    if (typeof raw !== "string") return;
    const frame = JSON.parse(raw) as Frame;
    if (!frame.topic) return;
    for (const listener of this.topics.get(frame.topic) ?? []) listener(frame.data);
  }

  private send(message: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private close(): void {
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    socket?.close();
  }
}

function hubUrl(): string {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const token = encodeURIComponent(getAccessToken() ?? "");
  return `${scheme}://${window.location.host}/api/v1/ws?token=${token}`;
}

export const liveHub = new LiveHub(hubUrl);
