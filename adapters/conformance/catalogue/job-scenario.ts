/**
 * Job-API scenarios as data: what a job client (a management tool that speaks `job-*`) does
 * against a source and a destination, and the trace it must see. The expected traces are written
 * by hand from decision 0001 and QEMU's job texts, never computed from the generated tables: they
 * are the oracle the facade (or a QEMU with a native migration job) is held to.
 *
 * Placeholders in arguments: "$uri" is the migration URI the destination listens on.
 */
import type { JsonObject } from "../../../src/qmp/json-value.ts";

/** The IDs the catalogue gives the outgoing and the incoming migration job. */
export const MIGRATION_JOB = "m0";
export const INCOMING_JOB = "in0";

/** `second` is another client of the source, connected from the start. */
export type JobSide = "source" | "destination" | "second";

export type JobStep =
  /** A command; its reply or error goes into that side's reply trace. */
  | { run: string; on?: JobSide; args?: JsonObject }
  /**
   * Off the record: wait until that side's client saw a JOB_SUBSTATUS_CHANGE to one of these —
   * of the migration job, or of `job` (a mirror); with `fresh`, only one that arrived after
   * that side's last command was sent (a status the job returns to).
   */
  | { waitSub: string[]; on?: JobSide; job?: string; fresh?: boolean; timeoutMs?: number }
  /** Off the record: wait for a JOB_STATUS_CHANGE to one of these (same options). */
  | { waitStatus: string[]; on?: JobSide; job?: string; fresh?: boolean; timeoutMs?: number }
  /** query-jobs, summarised (id, status, substatus, unknown-status, error) under a label. */
  | { query: string; on?: JobSide }
  /**
   * Samples query-jobs every 100 ms until the job concludes and records whether progress
   * behaved: current never falls, total ≥ current, and at the end total = current.
   */
  | { progress: string; on?: JobSide }
  /** Records whether event line `first` came before event line `then` on that side. */
  | { order: [first: string, then: string]; on?: JobSide }
  | { sleepMs: number }
  | { kill: "destination" }
  /**
   * The source's QEMU reports a MigrationStatus no schema knows (a future QEMU's): a MIGRATION
   * event with it, and query-migrate answers with it until `inject: null`.
   */
  | { inject: string | null }
  /**
   * Records the schema checks (adapters/introspection/check-served-schema.ts) of that side's
   * server, one reply line each; `legacy` checks a legacy facade put over it for the step.
   */
  | { schema: "jobs" | "legacy"; on?: JobSide };

export interface SideTrace {
  /** JOB_STATUS_CHANGE as "status X", JOB_SUBSTATUS_CHANGE as "sub X" (or "sub X/unknown"). */
  events: string[];
  /** "ok CMD", "error CMD Class: desc", "query LABEL: …", "progress LABEL: …", in order. */
  replies: string[];
}

export interface JobScenario {
  name: string;
  tags: string[];
  /** What it shows and why it is in the catalogue. */
  doc: string;
  /** Source guest RAM filled with random data, MiB; default 16. */
  fillMiB?: number;
  steps: JobStep[];
  expect: Partial<Record<JobSide, SideTrace>>;
  /**
   * Event lines that may or may not appear, because QEMU may pass the status before a command
   * lands (e.g. "sub active" when a cancel is sent in setup): dropped on both sides.
   */
  racy?: string[];
  /**
   * Several jobs move at once (a migration and its mirrors): events are compared job by job,
   * each in its own order; the cross-job orders that matter are checked with `order` steps.
   */
  groupEvents?: boolean;
  /**
   * The destination QEMU is started with `-incoming URI` (listening on "$uri") instead of
   * `-incoming defer`: a migration no monitor asked for, there before any client (adoption).
   */
  listenAtStart?: boolean;
  /** Needs the scripted-status hook (`inject`): only with the facade in front of QEMU. */
  needsInjection?: boolean;
  /** Why it cannot run when QEMU's own job API is spoken to directly; absent: it can. */
  facadeOnly?: string;
}
