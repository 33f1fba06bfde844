/**
 * The verbs a migration job accepts in each (machine, substatus) a test can hold it in, written
 * out from decision 0001's verb table, and how each verb is sent. Everything else is refused with
 * QEMU's text `Job 'ID' in state 'STATUS' cannot accept command verb 'VERB'` (job.c). Kept
 * literal on purpose: a wrong generated table must not be able to agree with itself here.
 */
import type { JsonObject } from "../../../src/qmp/json-value.ts";

export const JOB_VERBS = [
  "cancel",
  "pause",
  "resume",
  "set-speed",
  "complete",
  "dismiss",
  "finalize",
  "change",
] as const;
export type JobVerb = (typeof JOB_VERBS)[number];

export interface HeldState {
  machine: "outgoing" | "postcopy" | "incoming";
  substatus: string;
  /** The job status decision 0001 maps it to. */
  status: string;
  accepts: readonly JobVerb[];
}

export const HELD_STATES: readonly HeldState[] = [
  { machine: "outgoing", substatus: "active", status: "running", accepts: ["cancel", "set-speed", "change"] },
  { machine: "outgoing", substatus: "pre-switchover", status: "pending", accepts: ["cancel", "finalize"] },
  { machine: "outgoing", substatus: "completed", status: "concluded", accepts: ["dismiss"] },
  { machine: "outgoing", substatus: "cancelled", status: "concluded", accepts: ["dismiss"] },
  { machine: "outgoing", substatus: "failed", status: "concluded", accepts: ["dismiss"] },
  {
    machine: "postcopy",
    substatus: "active",
    status: "ready",
    accepts: ["cancel", "set-speed", "change", "complete"],
  },
  {
    machine: "postcopy",
    substatus: "postcopy-active",
    status: "ready",
    accepts: ["pause", "set-speed", "change"],
  },
  { machine: "postcopy", substatus: "postcopy-paused", status: "standby", accepts: ["resume", "change"] },
  { machine: "postcopy", substatus: "completed", status: "concluded", accepts: ["dismiss"] },
  // `none` (created) is not held on 7.2: it reports `setup` as soon as migrate-incoming listens.
  { machine: "incoming", substatus: "none", status: "created", accepts: [] },
  { machine: "incoming", substatus: "setup", status: "running", accepts: [] },
  { machine: "incoming", substatus: "active", status: "running", accepts: [] },
  { machine: "incoming", substatus: "postcopy-active", status: "running", accepts: ["pause"] },
  { machine: "incoming", substatus: "postcopy-paused", status: "paused", accepts: ["resume", "change"] },
  { machine: "incoming", substatus: "completed", status: "concluded", accepts: ["dismiss"] },
  // Not held on 7.2: its destination QEMU exits when the incoming migration fails.
  { machine: "incoming", substatus: "failed", status: "concluded", accepts: ["dismiss"] },
];

/** The command and arguments that exercise a verb on job `id` (set-speed and change are job-change). */
export function verbCommand(verb: JobVerb, id: string): { run: string; args: JsonObject } {
  if (verb === "set-speed")
    return { run: "job-change", args: { id, type: "migration", "max-bandwidth": 4 * 1024 * 1024 } };
  if (verb === "change") return { run: "job-change", args: { id, type: "migration", "downtime-limit": 300 } };
  return { run: `job-${verb}`, args: { id } };
}

/** The trace line of a refused verb, QEMU's class and text. */
export function refusedLine(verb: JobVerb, id: string, status: string): string {
  return `error ${verbCommand(verb, id).run} GenericError: Job '${id}' in state '${status}' cannot accept command verb '${verb}'`;
}

export function heldState(machine: HeldState["machine"], substatus: string): HeldState {
  const found = HELD_STATES.find((h) => h.machine === machine && h.substatus === substatus);
  if (!found) throw new Error(`no held state ${machine}/${substatus}`);
  return found;
}
