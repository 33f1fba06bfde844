/**
 * Job verbs as the legacy migration commands that carry them out (decision 0001, verb table).
 * Each returns the upstream calls to make, in order; the verb was already checked against the
 * job's refining machine.
 */
import type { JsonObject } from "../../src/qmp/json-value.ts";
import { pickMembers } from "../../src/qmp/number-literal.ts";
import type { MigrationJob } from "./migration-job.ts";

export interface LegacyCall {
  command: string;
  args?: JsonObject;
}

export function cancelCalls(): LegacyCall[] {
  return [{ command: "migrate_cancel" }];
}

export function finalizeCalls(): LegacyCall[] {
  return [{ command: "migrate-continue", args: { state: "pre-switchover" } }];
}

export function completeCalls(): LegacyCall[] {
  return [{ command: "migrate-start-postcopy" }];
}

export function pauseCalls(): LegacyCall[] {
  return [{ command: "migrate-pause" }];
}

/** Resume releases the switchover hold, or reconnects a paused postcopy on the job's URI. */
export function resumeCalls(job: MigrationJob): LegacyCall[] {
  if (job.substatus === "pre-switchover") return finalizeCalls();
  if (job.options.direction === "incoming") return [{ command: "migrate-recover", args: { uri: job.uri } }];
  return [{ command: "migrate", args: { uri: job.uri, resume: true } }];
}

export interface MigrationChange {
  "max-bandwidth"?: number;
  "max-postcopy-bandwidth"?: number;
  "downtime-limit"?: number;
  uri?: string;
}

/** The parameters job-change sets in QEMU; `uri` stays with the facade. */
export function changeCalls(change: MigrationChange): LegacyCall[] {
  // pickMembers keeps the literals the client wrote (2^53 + 1 reaches QEMU as written).
  const parameters = pickMembers(change as unknown as JsonObject, [
    "max-bandwidth",
    "max-postcopy-bandwidth",
    "downtime-limit",
  ]) as JsonObject;
  return Object.keys(parameters).length === 0
    ? []
    : [{ command: "migrate-set-parameters", args: parameters }];
}

/** job-change needs verb change, and set-speed as well when it touches a bandwidth. */
export function verbsOfChange(change: MigrationChange): string[] {
  const speed = change["max-bandwidth"] !== undefined || change["max-postcopy-bandwidth"] !== undefined;
  return speed ? ["change", "set-speed"] : ["change"];
}
