import { useQuery, useQueryClient, type QueryClient, type QueryKey } from "@tanstack/react-query";
import { useEffect, useRef, useSyncExternalStore } from "react";

import { api, unwrap, type Schemas } from "../../api/client";
import { liveHub } from "../../api/live";
import { useLiveTopic } from "../useLiveTopic";

const ACTIVE = new Set(["queued", "running"]);
const key = ["jobs"] as const;
const POLL_MS = 2000;

type Status = Schemas["JobRead"]["status"];

/** A job's state as `jobs:{id}` and `events` carry it; progress is a fraction, 0 to 1. */
export interface JobState {
  id: number;
  status: Status;
  progress: number;
}

/** A run (backtest, optimisation) that a job computes; its progress is in percent. */
interface JobRun {
  job_id: number | null;
  status: Status;
  progress: number;
}

export function isActive(status: string): boolean {
  return ACTIVE.has(status);
}

/** A `job` event's or snapshot's data; null when it is not one. */
export function jobState(data: unknown): JobState | null {
  if (typeof data !== "object" || data === null) return null;
  const { id, status, progress } = data as Record<string, unknown>;
  if (typeof id !== "number" || typeof status !== "string" || typeof progress !== "number") return null;
  return { id, status: status as Status, progress };
}

/** Whether the hub's socket is signed in; the caller re-renders when it connects or drops. */
export function useHubConnected(): boolean {
  return useSyncExternalStore(
    (change) => liveHub.onConnection(change),
    () => liveHub.connected,
  );
}

/** Poll every `ms` while `active` and the hub is down: with the socket up, events carry it. */
export function fallbackPoll(active: boolean, connected: boolean, ms: number): number | false {
  return active && !connected ? ms : false;
}

/** Follow `jobs:{id}` for each of `jobIds`: `onState` hears each one's snapshot and events. */
export function useFollowJobs(jobIds: number[], onState: (state: JobState) => void): void {
  const handler = useRef(onState);
  handler.current = onState;
  const follows = useRef(new Map<number, () => void>());
  const wanted = [...new Set(jobIds)].sort((a, b) => a - b).join(",");
  useEffect(() => {
    const ids = new Set(wanted ? wanted.split(",").map(Number) : []);
    for (const [id, stop] of follows.current) {
      if (ids.has(id)) continue;
      stop();
      follows.current.delete(id);
    }
    for (const id of ids) {
      if (follows.current.has(id)) continue;
      follows.current.set(id, liveHub.subscribe(`jobs:${id}`, (message) => {
        const state = jobState(message.data);
        if (state) handler.current(state);
      }));
    }
  }, [wanted]);
  useEffect(() => () => {
    for (const stop of follows.current.values()) stop();
    follows.current.clear();
  }, []);
}

// Jobs carry a fraction; the API shows runs and jobs in percent, to two decimals.
function percent(fraction: number): number {
  return Math.round(fraction * 10_000) / 100;
}

/** `run` with its job's status and progress; the same object when they have not changed. */
export function withJobState<T extends JobRun>(run: T, state: JobState): T {
  if (run.job_id !== state.id) return run;
  const progress = percent(state.progress);
  if (run.status === state.status && run.progress === progress) return run;
  return { ...run, status: state.status, progress };
}

function isRun(value: unknown): value is JobRun {
  return typeof value === "object" && value !== null && "job_id" in value && "status" in value;
}

/** Cached data of a runs family (one run, or a page of `items`) with the job's state applied. */
export function patchRuns(data: unknown, state: JobState): unknown {
  if (isRun(data)) return withJobState(data, state);
  if (typeof data !== "object" || data === null || !("items" in data) || !Array.isArray(data.items)) return data;
  const items = data.items.map((item: unknown) => (isRun(item) ? withJobState(item, state) : item));
  return items.every((item, i) => item === (data.items as unknown[])[i]) ? data : { ...data, items };
}

function wasActive(client: QueryClient, family: QueryKey, jobId: number): boolean {
  return client.getQueriesData({ queryKey: family }).some(([, data]) => {
    const runs = isRun(data) ? [data] : ((data as { items?: unknown[] } | undefined)?.items ?? []);
    return runs.some((run) => isRun(run) && run.job_id === jobId && isActive(run.status));
  });
}

/**
 * Keep the queued and running runs cached under `family` moving with their jobs' channels:
 * progress lands in the cache as it arrives, and a job that finishes refetches the family
 * once, which brings the run's results.
 */
export function useRunJobs(family: QueryKey, runs: JobRun[] | undefined): void {
  const client = useQueryClient();
  const jobIds = (runs ?? []).flatMap((run) => (isActive(run.status) && run.job_id !== null ? [run.job_id] : []));
  useFollowJobs(jobIds, (state) => {
    const finished = !isActive(state.status) && wasActive(client, family, state.id);
    client.setQueriesData({ queryKey: family }, (data: unknown) => patchRuns(data, state));
    if (finished) void client.invalidateQueries({ queryKey: family });
  });
}

/** Recent jobs: statuses from the `events` channel, progress from each running job's channel;
 * polled only while any is active and the hub is down. */
export function useJobs(limit = 20) {
  const client = useQueryClient();
  const connected = useHubConnected();
  const queryKey = [...key, limit];
  const query = useQuery({
    queryKey,
    queryFn: async () => unwrap(await api.GET("/api/v1/jobs", { params: { query: { limit } } })),
    refetchInterval: (q) => fallbackPoll(q.state.data?.items.some((job) => isActive(job.status)) ?? false, connected, POLL_MS),
  });
  const apply = (state: JobState) => {
    const items = client.getQueryData<typeof query.data>(queryKey)?.items;
    if (!items?.some((job) => job.id === state.id)) {
      void client.invalidateQueries({ queryKey: key });
      return;
    }
    client.setQueriesData({ queryKey: key }, (data: unknown) => patchJobs(data, state));
  };
  const active = (query.data?.items ?? []).filter((job) => isActive(job.status)).map((job) => job.id);
  useFollowJobs(active, apply);
  useLiveTopic("events", (message) => {
    const state = message.kind === "job" ? jobState(message.data) : null;
    if (state) apply(state);
  });
  return query;
}

function patchJobs(data: unknown, state: JobState): unknown {
  const page = data as { items?: Schemas["JobRead"][] } | undefined;
  if (!page?.items) return data;
  const progress = percent(state.progress);
  const items = page.items.map((job) =>
    job.id === state.id && (job.status !== state.status || job.progress !== progress)
      ? { ...job, status: state.status, progress }
      : job,
  );
  return items.every((job, i) => job === page.items?.[i]) ? data : { ...page, items };
}
