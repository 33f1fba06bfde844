/**
 * What every race test shares: a scripted QEMU whose command arrivals wait for fast-check's
 * scheduler, a logical clock that orders invocations, replies and events, and the drain that
 * lets late reactions (the facades defer their tells to setImmediate) reach the scheduler.
 */
import type fc from "fast-check";
import type { JsonObject } from "../../src/qmp/json-value.ts";
import { sttAllows } from "../helpers/qemu-job-tables.ts";
import { ScriptedQemu } from "./scripted-qemu.ts";

/**
 * QEMU whose command arrivals wait for the scheduler once it is set, so the scheduler decides
 * whether a client's command reaches QEMU before or after a step of QEMU's migration thread.
 * query-migrate is not scheduled: it changes nothing, and QMP answers in order on one socket.
 */
export class ScheduledQemu extends ScriptedQemu {
  scheduler: fc.Scheduler | undefined;
  /** What reached QEMU, in order, with the status before and after: for counterexamples. */
  readonly log: string[] = [];
  override async execute(command: string, args: JsonObject = {}) {
    if (this.scheduler && command !== "query-migrate")
      await this.scheduler.schedule(Promise.resolve(), `qemu ← ${command}`);
    const before = this.state.status;
    try {
      return await super.execute(command, args);
    } finally {
      if (command !== "query-migrate") this.log.push(`${command}: ${before} → ${this.state.status}`);
    }
  }
  override environment(kind: "advance" | "break"): void {
    const before = this.state.status;
    super.environment(kind);
    this.log.push(`thread ${kind}: ${before} → ${this.state.status}`);
  }
}

/** A logical clock: every invocation, reply and observed event takes the next tick. */
export class Clock {
  private now = 0;
  tick(): number {
    return this.now++;
  }
}

/** Runs the scheduler until `work` is done and nothing is left scheduled (or 3 s passed). */
export async function drain(s: fc.Scheduler, work: Promise<unknown>): Promise<void> {
  let done = false;
  void work.finally(() => {
    done = true;
  });
  const deadline = Date.now() + 3000;
  // Each round first lets every reaction in flight schedule its next QEMU access, so the
  // scheduler chooses among all of them, not just the ones that happened to get there first.
  while ((!done || s.count() > 0) && Date.now() < deadline) {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    if (s.count() > 0) await s.waitOne();
  }
}

/** The text a client sees of a reply: "ok", or the error's desc. */
export const replyText = (error: unknown): string => {
  const e = error as { desc?: string; message?: string };
  return e.desc ?? String(e.message);
};

/** The JOB_STATUS_CHANGE steps of each job that JobSTT does not allow, starting from 'undefined'. */
export function illegalJobSteps(events: readonly JsonObject[]): string[] {
  const last = new Map<string, string>();
  const out: string[] = [];
  for (const e of events) {
    if (e.event !== "JOB_STATUS_CHANGE") continue;
    const { id, status } = e.data as { id: string; status: string };
    // A dismissed job's ID is free again: the next job of that ID starts from 'undefined'.
    const previous = last.get(id);
    const from = previous === undefined || previous === "null" ? "undefined" : previous;
    if (!sttAllows(from, status)) out.push(`${id}: ${from} → ${status}`);
    last.set(id, status);
  }
  return out;
}

/**
 * The seed of every race property: fixed, so CI runs the same cases every time and a race test
 * can never be flaky; RACE_SEED=<n> explores other cases (a failure prints its seed to replay).
 */
export const RACE_SEED = { seed: Number(process.env.RACE_SEED ?? 20261127) };
