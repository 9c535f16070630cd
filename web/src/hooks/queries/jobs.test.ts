import { describe, expect, it } from "vitest";

import { fallbackPoll, jobState, patchRuns, withJobState } from "./jobs";

const run = { id: 4, job_id: 9, status: "running" as const, progress: 10, name: "r" };

describe("job states on cached runs", () => {
  it("test_job_event_sets_status_and_progress_in_percent", () => {
    const patched = withJobState(run, { id: 9, status: "running", progress: 0.4567 });
    expect(patched).toEqual({ ...run, progress: 45.67 });
  });

  it("test_other_job_or_same_state_keeps_the_object", () => {
    expect(withJobState(run, { id: 8, status: "succeeded", progress: 1 })).toBe(run);
    expect(withJobState(run, { id: 9, status: "running", progress: 0.1 })).toBe(run);
  });

  it("test_page_of_runs_patched_and_unrelated_data_untouched", () => {
    const page = { items: [run, { ...run, id: 5, job_id: 10 }], total: 2 };
    const patched = patchRuns(page, { id: 10, status: "succeeded", progress: 1 }) as typeof page;
    expect(patched.items.map((r) => [r.status, r.progress])).toEqual([["running", 10], ["succeeded", 100]]);
    expect(patched.items[0]).toBe(run);
    expect(patchRuns(page, { id: 11, status: "failed", progress: 0 })).toBe(page);
    const equity = { timestamps: [1], equity: [2] };
    expect(patchRuns(equity, { id: 9, status: "failed", progress: 0 })).toBe(equity);
  });

  it("test_job_state_read_from_event_data", () => {
    expect(jobState({ id: 3, status: "queued", progress: 0 })).toEqual({ id: 3, status: "queued", progress: 0 });
    expect(jobState({ id: "3", status: "queued", progress: 0 })).toBeNull();
    expect(jobState(null)).toBeNull();
  });
});

describe("fallbackPoll", () => {
  it("test_polls_only_while_active_and_hub_down", () => {
    expect(fallbackPoll(true, false, 1000)).toBe(1000);
    expect(fallbackPoll(true, true, 1000)).toBe(false);
    expect(fallbackPoll(false, false, 1000)).toBe(false);
  });
});
