/**
 * QEMU's job tables from job.c (reference doc §1), written out literally once: the independent
 * oracle every test of the job state machine compares against.
 */

/** JobStatus, in QEMU's order (U C R P Y S W D X E N). */
export const JOB_STATES = [
  "undefined",
  "created",
  "running",
  "paused",
  "ready",
  "standby",
  "waiting",
  "pending",
  "aborting",
  "concluded",
  "null",
] as const;

/** JobVerb, in QEMU's enum order. */
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

/** JobSTT: row = from, column = to, both in JOB_STATES order. */
export const JOB_STT: readonly (readonly number[])[] = [
  /* U: */ [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  /* C: */ [0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1],
  /* R: */ [0, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0],
  /* P: */ [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
  /* Y: */ [0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0],
  /* S: */ [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
  /* W: */ [0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0],
  /* D: */ [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0],
  /* X: */ [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0],
  /* E: */ [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
  /* N: */ [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
];

/** QEMU master's JobVerbTable (with CHANGE): row = verb, in QEMU's table order; column = state. */
export const JOB_VERB_TABLE: Readonly<Record<string, readonly number[]>> = {
  cancel: [0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0],
  pause: [0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
  resume: [0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
  "set-speed": [0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
  complete: [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0],
  finalize: [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0],
  dismiss: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0],
  change: [0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
};

const stateIndex = (state: string): number => (JOB_STATES as readonly string[]).indexOf(state);

/** Whether JobSTT allows from → to (false for names QEMU does not have). */
export function sttAllows(from: string, to: string): boolean {
  return JOB_STT[stateIndex(from)]?.[stateIndex(to)] === 1;
}

/** Whether JobVerbTable allows the verb in the state (false for names QEMU does not have). */
export function verbTableAllows(verb: string, state: string): boolean {
  return Object.hasOwn(JOB_VERB_TABLE, verb) && JOB_VERB_TABLE[verb]?.[stateIndex(state)] === 1;
}
