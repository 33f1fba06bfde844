/**
 * What `jobshim qmp` does with events around its one command: prints them (`--events`), waits
 * for one (`--wait-event NAME --match key=value`), and follows the job the command started (a
 * `job-id` argument) to its end, so a job that fails after its command returned `{}` is not
 * reported as a success.
 */
import type { QmpClient } from "../src/qmp/client.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../src/qmp/json-value.ts";
import type { QmpEvent } from "../src/qmp/protocol.ts";
import { toQemuJson } from "../src/qmp/qemu-json-writer.ts";
import { QmpConnectionError, QmpError } from "../src/qmp/qmp-error.ts";
import { formatAddress } from "../src/transports/address.ts";
import { EventTimeoutError } from "./exit-codes.ts";

export interface EventWaitOptions {
  /** Print every event as one line of QEMU's JSON. */
  print: boolean;
  /** The event to wait for, and what its data must contain. */
  waitFor: { name: string; match: JsonObject } | undefined;
  /** The job the command creates, followed until it concludes. */
  jobId: string | undefined;
  write: (line: string) => void;
}

/** A job that ended without completing: its error, when the job was still there to ask. */
export class JobFailedError extends QmpError {}

export class EventWait {
  private readonly stop: () => void;
  private matched: QmpEvent | undefined;
  private jobEnd: string | undefined;
  private wake: (() => void) | undefined;
  private lost = false;
  private concluded = false;
  private lastSeen: Promise<JsonObject | undefined> = Promise.resolve(undefined);

  constructor(
    private readonly client: QmpClient,
    private readonly options: EventWaitOptions,
  ) {
    this.stop = client.onEvent((event) => this.receive(event));
    void this.watchConnection();
  }

  /**
   * Waits until the awaited event arrived, else until the followed job concluded (failed: throws
   * JobFailedError), else returns at once; `timeoutMs` bounds the wait. Prints the awaited event
   * when events are not printed anyway.
   */
  async finish(timeoutMs: number, signal: AbortSignal): Promise<void> {
    try {
      if (this.options.waitFor !== undefined || this.options.jobId !== undefined)
        await this.until(() => this.done(), timeoutMs, signal);
      if (this.matched !== undefined && !this.options.print)
        this.options.write(toQemuJson(this.matched as never));
      await this.checkJob();
    } finally {
      this.stop();
    }
  }

  private done(): boolean {
    if (this.lost)
      throw new QmpConnectionError(
        `QMP connection to ${formatAddress(this.client.address)} closed while waiting for events`,
      );
    if (this.jobEnd !== undefined && this.jobEnd !== "completed") return true;
    if (this.options.waitFor !== undefined) return this.matched !== undefined;
    return this.jobEnd !== undefined;
  }

  private receive(event: QmpEvent): void {
    if (this.options.print) this.options.write(toQemuJson(event as unknown as JsonValue));
    const waitFor = this.options.waitFor;
    if (
      this.matched === undefined &&
      waitFor &&
      event.event === waitFor.name &&
      contains(event.data ?? {}, waitFor.match)
    )
      this.matched = event;
    const data = event.data ?? {};
    if (this.options.jobId !== undefined && data.id === this.options.jobId) this.followJob(event, data);
    this.wake?.();
  }

  private followJob(event: QmpEvent, data: JsonObject): void {
    // The job's status reaches concluded first, then its substatus says how it ended.
    if (event.event === "JOB_STATUS_CHANGE" && data.status === "concluded") {
      this.concluded = true;
      // Asked at once, before an auto-dismiss takes the job and its error away (best effort).
      this.lastSeen = this.findJob();
    }
    if (event.event === "JOB_SUBSTATUS_CHANGE" && this.concluded && typeof data.substatus === "string")
      this.jobEnd = data.substatus;
  }

  private async findJob(): Promise<JsonObject | undefined> {
    const jobs = await this.client.execute("query-jobs").catch(() => []);
    const job = Array.isArray(jobs)
      ? jobs.find((j) => isJsonObject(j) && j.id === this.options.jobId)
      : undefined;
    return isJsonObject(job) ? job : undefined;
  }

  /** A followed job that failed: its error from query-jobs, or why it cannot be read any more. */
  private async checkJob(): Promise<void> {
    const id = this.options.jobId;
    if (id === undefined) return;
    const job = (await this.findJob()) ?? (await this.lastSeen);
    const concluded = job?.status === "concluded";
    const end = concluded ? String(job?.substatus) : this.jobEnd;
    if (end === undefined || end === "completed") return;
    if (concluded) throw new JobFailedError("GenericError", `job '${id}' ${end}: ${String(job?.error)}`);
    throw new JobFailedError(
      "GenericError",
      `job '${id}' ${end}; its error went with the job (auto-dismiss): pass auto-dismiss=false to keep it for query-jobs`,
    );
  }

  private async watchConnection(): Promise<void> {
    for await (const _ of this.client.eventsOf()) {
      // Only the end of the stream matters: the connection is gone.
    }
    this.lost = true;
    this.wake?.();
  }

  private until(check: () => boolean, timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle(new EventTimeoutError(this.timeoutText(timeoutMs))), timeoutMs);
      const onAbort = () => settle();
      const settle = (error?: Error) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.wake = undefined;
        if (error) reject(error);
        else resolve();
      };
      this.wake = () => {
        try {
          if (check()) settle();
        } catch (error) {
          settle(error as Error);
        }
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.wake();
    });
  }

  private timeoutText(timeoutMs: number): string {
    const waitFor = this.options.waitFor;
    if (waitFor === undefined) return `job '${this.options.jobId}' did not conclude within ${timeoutMs} ms`;
    const match = Object.keys(waitFor.match).length > 0 ? ` with ${toQemuJson(waitFor.match)}` : "";
    return `no ${waitFor.name} event${match} within ${timeoutMs} ms`;
  }
}

/** Whether `data` has every member of `match` (nested objects compared member by member). */
export function contains(data: JsonValue, match: JsonValue): boolean {
  if (isJsonObject(match))
    return (
      isJsonObject(data) &&
      Object.entries(match).every(([key, value]) => key in data && contains(data[key] as JsonValue, value))
    );
  return JSON.stringify(data) === JSON.stringify(match);
}
