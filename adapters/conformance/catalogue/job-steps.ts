/**
 * Building blocks of the job scenarios: the commands a job client sends, with the catalogue's
 * job IDs and speeds. Speeds are chosen so a 16 MiB guest migrates in about a second when let
 * go, and stays in `active` for as long as a scenario needs when held back.
 */
import type { JsonObject } from "../../../src/qmp/json-value.ts";
import { INCOMING_JOB, type JobSide, type JobStep, MIGRATION_JOB } from "./job-scenario.ts";
import { type HeldState, JOB_VERBS, type JobVerb, refusedLine, verbCommand } from "./verb-matrix.ts";

const MIB = 1024 * 1024;
/** Slow enough to hold `active` for several seconds with 16 MiB of random RAM. */
export const HOLD_BANDWIDTH = 2 * MIB;
/** Fast: the rest of the migration takes well under a second. */
export const FAST_BANDWIDTH = 1024 * MIB;

export interface MigrateOptions {
  autoFinalize?: boolean;
  autoDismiss?: boolean;
  postcopy?: boolean;
  bandwidth?: number;
  mirrors?: string[];
}

export function listen(autoDismiss = false): JobStep {
  return {
    run: "job-migrate-incoming",
    on: "destination",
    args: { "job-id": INCOMING_JOB, uri: "$uri", "auto-dismiss": autoDismiss },
  };
}

export function migrate(options: MigrateOptions = {}): JobStep {
  const args: JsonObject = {
    "job-id": MIGRATION_JOB,
    uri: "$uri",
    "max-bandwidth": options.bandwidth ?? FAST_BANDWIDTH,
  };
  if (options.autoFinalize !== undefined) args["auto-finalize"] = options.autoFinalize;
  if (options.autoDismiss !== undefined) args["auto-dismiss"] = options.autoDismiss;
  if (options.postcopy) args.postcopy = true;
  if (options.mirrors) args.mirrors = options.mirrors;
  return { run: "job-migrate", args };
}

/** listen + migrate held in `active` (until `speedUp`). */
export function startHeld(options: MigrateOptions = {}): JobStep[] {
  return [listen(), migrate({ bandwidth: HOLD_BANDWIDTH, ...options }), { waitSub: ["active"] }];
}

/**
 * QEMU 7.2 announces postcopy-active on the destination before its postcopy is running; a
 * connection broken in that gap fails the destination instead of pausing it (seen once in
 * about a hundred runs). A pause therefore waits this long into postcopy first.
 */
export const SETTLE_BEFORE_PAUSE: JobStep = { sleepMs: 500 };

export const speedUp = (on: JobSide = "source"): JobStep => ({
  run: "job-change",
  on,
  args: { id: MIGRATION_JOB, type: "migration", "max-bandwidth": FAST_BANDWIDTH },
});

export const verb = (name: string, on: JobSide = "source", id = MIGRATION_JOB): JobStep => ({
  run: `job-${name}`,
  on,
  args: { id },
});

export const jobIdOf = (side: JobSide) => (side === "destination" ? INCOMING_JOB : MIGRATION_JOB);

/**
 * Every verb in a held state, as iotest 219 walks block jobs: refused verbs must give QEMU's
 * text; accepted verbs listed in `run` (those that leave the job where it is: set-speed, change)
 * are sent and must succeed; the other accepted verbs are left to the scenario, which knows
 * their effects. Returns the steps and the reply lines they must give.
 */
export function walkVerbs(
  held: HeldState,
  on: JobSide,
  run: readonly JobVerb[] = [],
): { steps: JobStep[]; replies: string[] } {
  const id = jobIdOf(on);
  const sent = JOB_VERBS.filter((v) => !held.accepts.includes(v) || run.includes(v));
  for (const v of run)
    if (!held.accepts.includes(v))
      throw new Error(`${v} is not accepted in ${held.machine}/${held.substatus}`);
  return {
    steps: sent.map((v) => ({ ...verbCommand(v, id), on })),
    replies: sent.map((v) =>
      held.accepts.includes(v)
        ? `ok ${verbCommand(v, id).run}`
        : refusedLine(refusalVerb(v, held), id, held.status),
    ),
  };
}

/** job-change with a bandwidth needs `change` first, then `set-speed` (decision 0001). */
function refusalVerb(verb: JobVerb, held: HeldState): JobVerb {
  return verb === "set-speed" && !held.accepts.includes("change") ? "change" : verb;
}
