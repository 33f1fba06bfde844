/**
 * A migration job together with what the facade keeps beside it: QEMU's last MigrationInfo,
 * progress, and the capability values to put back when it ends.
 */
import { isJsonObject, type JsonObject } from "../../src/qmp/json-value.ts";
import { isState } from "../../src/state-machine.ts";
import type { MigrationJob } from "./migration-job.ts";
import { type ProgressOptions, ProgressTracker } from "./progress.ts";

export class TrackedJob {
  details: JsonObject = {};
  readonly progress: ProgressTracker;
  announced = false;
  finished = false;

  constructor(
    readonly job: MigrationJob,
    /** migrate-set-capabilities entries that put back what clients saw before the job. */
    readonly restore: JsonObject[],
    progressOptions: ProgressOptions | undefined,
  ) {
    this.progress = new ProgressTracker(progressOptions);
  }

  noteDetails(details: JsonObject): void {
    this.details = details;
    this.progress.update(details);
  }

  /** query-jobs' entry: QEMU's JobInfo members, then the migration branch (decision 0001, 6). */
  info(): JsonObject {
    const { job } = this;
    const running = !job.concluded && job.status !== "created";
    const view = this.progress.view(running);
    const info: JsonObject = {
      id: job.id,
      type: "migration",
      status: job.status,
      "current-progress": view.current,
      "total-progress": view.total,
    };
    if (job.error !== undefined) info.error = job.error;
    Object.assign(info, {
      direction: job.options.direction,
      postcopy: job.options.postcopy,
      substatus: job.substatus,
    });
    if (job.unknownStatus !== undefined) info["unknown-status"] = job.unknownStatus;
    info.uri = job.uri;
    info.details = this.knownDetails();
    const progress: JsonObject = { passes: view.passes, convergence: view.convergence };
    if (view.expectedRemainingMs !== undefined)
      progress["expected-remaining-time"] = view.expectedRemainingMs;
    if (view.stalledMs !== undefined) progress["stalled-time"] = view.stalledMs;
    if (view.throughput !== undefined) progress.throughput = Math.round(view.throughput);
    if (view.dirtyRate !== undefined) progress["dirty-rate"] = Math.round(view.dirtyRate);
    progress["downtime-limit"] = view.downtimeLimitMs;
    info.progress = progress;
    return info;
  }

  /** MigrationInfo without a status value the schema does not know (tension 10). */
  private knownDetails(): JsonObject {
    const status = this.details.status;
    if (typeof status !== "string" || isState(this.job.machine, status)) return { ...this.details };
    const { status: _unknown, ...rest } = this.details;
    return rest;
  }
}

export const errorDescOf = (details: JsonObject | undefined): string | undefined =>
  details !== undefined && isJsonObject(details) && typeof details["error-desc"] === "string"
    ? details["error-desc"]
    : undefined;
