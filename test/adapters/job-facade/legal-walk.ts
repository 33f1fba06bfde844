/** Test-only: whether a trace of job events is a walk of JobSTT from 'undefined'. */
import { JobStateMachine } from "../../../src/generated/state-tables.ts";

/** `events` as "status X" / "sub Y" strings; only the statuses matter. */
export function isLegalJobWalk(events: readonly string[]): boolean {
  let at = "undefined";
  const table: Readonly<Record<string, readonly string[]>> = JobStateMachine.transitions;
  for (const entry of events) {
    if (!entry.startsWith("status ")) continue;
    const next = entry.slice("status ".length);
    if (!(table[at] ?? []).includes(next)) return false;
    at = next;
  }
  return true;
}
