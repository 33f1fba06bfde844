/**
 * What `jobshim migrate` says about a migration's convergence: one status word for the progress
 * line, and, when the copy cannot converge, why (the numbers behind the verdict) and what to do.
 */
import { mib } from "../../adapters/demo/progress-line.ts";
import type { JsonObject } from "../../src/qmp/json-value.ts";

export interface ConvergenceFacts {
  convergence: string;
  throughput: number | undefined;
  dirtyRate: number | undefined;
  downtimeLimitMs: number | undefined;
  stalledMs: number | undefined;
  expectedRemainingMs: number | undefined;
  passes: number;
}

const numberOr = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);

export function factsOf(job: JsonObject): ConvergenceFacts {
  const progress = (job.progress ?? {}) as JsonObject;
  return {
    convergence: String(progress.convergence ?? "unknown"),
    throughput: numberOr(progress.throughput),
    dirtyRate: numberOr(progress["dirty-rate"]),
    downtimeLimitMs: numberOr(progress["downtime-limit"]),
    stalledMs: numberOr(progress["stalled-time"]),
    expectedRemainingMs: numberOr(progress["expected-remaining-time"]),
    passes: numberOr(progress.passes) ?? 0,
  };
}

/** The word at the end of the progress line. */
export function verdictWord(facts: ConvergenceFacts): string {
  switch (facts.convergence) {
    case "not-converging":
      return "NOT CONVERGING";
    case "stalled":
      return `STALLED ${((facts.stalledMs ?? 0) / 1000).toFixed(0)}s`;
    case "converging":
      return "converging";
    default:
      return "judging";
  }
}

/** Why it will not end: the guest dirties memory about as fast as it is sent. */
export function whyNotConverging(facts: ConvergenceFacts): string {
  const rate = (bytes: number | undefined) => (bytes === undefined ? "?" : `${mib(bytes)}/s`);
  const budget =
    facts.throughput !== undefined && facts.downtimeLimitMs !== undefined
      ? ` (the ${facts.downtimeLimitMs} ms downtime limit lets ${mib((facts.throughput * facts.downtimeLimitMs) / 1000)} go at switchover)`
      : "";
  return `not converging after ${facts.passes} passes: the guest dirties ${rate(facts.dirtyRate)} while ${rate(facts.throughput)} is sent, so what is left after a pass never fits the downtime limit${budget}`;
}

/** The remedies, in the order they cost the guest least. */
export function remedies(postcopy: boolean, jobId: string): string[] {
  return [
    `raise the bandwidth: --max-bandwidth MiB/s, or job-change {"id": "${jobId}", "type": "migration", "max-bandwidth": BYTES}`,
    `accept a longer pause: --downtime-limit MS, or job-change {"id": "${jobId}", "type": "migration", "downtime-limit": MS}`,
    postcopy
      ? `switch to postcopy: job-complete {"id": "${jobId}"} (this command does it now, since --postcopy was given)`
      : "switch to postcopy: rerun with --postcopy, and this command runs job-complete for you when the copy does not converge",
  ];
}

export function stalledText(facts: ConvergenceFacts): string {
  return `stalled: no byte sent for ${((facts.stalledMs ?? 0) / 1000).toFixed(0)} s; the connection or the destination hangs`;
}
