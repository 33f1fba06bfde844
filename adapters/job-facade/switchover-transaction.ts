/**
 * A switchover transaction (decision 0003): one migration job and the block mirror jobs that copy
 * its disks to the destination switch over together or not at all. Prepared = the migration holds
 * in pre-switchover (pending) and every mirror is ready; commit = every mirror completes without
 * pivoting (`block-job-cancel` with force off, so the source keeps its own disks), then
 * `migrate-continue`; abort = any member fails or stops before the commit, and every member is
 * cancelled, as QEMU's own transactions abort all on one failure.
 */
import type { JsonObject, JsonValue } from "../../src/qmp/json-value.ts";
import type { QmpEvent } from "../../src/qmp/protocol.ts";
import { generic } from "./job-errors.ts";

/** What the transaction needs from the QEMU behind the facade. */
export interface TransactionUpstream {
  execute(command: string, args?: JsonObject): Promise<JsonValue>;
}

export type TransactionState = "open" | "committing" | "committed" | "aborted";

/** QEMU job statuses in which a mirror still tracks the guest's writes. */
const COPYING: readonly string[] = ["created", "running", "ready", "paused", "standby"];
/** QEMU job statuses of a job that is ending or gone: nothing left to cancel. */
const ENDED: readonly string[] = ["aborting", "concluded", "null"];
/** Migration substatuses after which no switchover can come. */
const MIGRATION_OVER: readonly string[] = ["cancelling", "cancelled", "failed", "completed"];

interface Mirror {
  status: string;
  /** How it ended, once QEMU said so (BLOCK_JOB_COMPLETED / BLOCK_JOB_CANCELLED). */
  outcome?: "completed" | "failed" | "cancelled";
  error?: string;
}

export class SwitchoverTransaction {
  state: TransactionState = "open";
  /** Why the transaction aborted, for logs and the conformance suite. */
  reason: string | undefined;
  private readonly mirrors = new Map<string, Mirror>();
  private migrationSubstatus = "none";

  constructor(
    readonly migrationId: string,
    /** Each mirror's QEMU job status when the transaction formed. */
    initial: ReadonlyMap<string, string>,
    private readonly autoFinalize: boolean,
    private readonly upstream: TransactionUpstream,
    private readonly log: (message: string) => void = () => undefined,
  ) {
    for (const [id, status] of initial) this.mirrors.set(id, { status });
  }

  get mirrorIds(): string[] {
    return [...this.mirrors.keys()];
  }

  has(mirrorId: string): boolean {
    return this.mirrors.has(mirrorId);
  }

  /** The transaction no longer constrains anything: committed or aborted, and quiet. */
  get settled(): boolean {
    return this.state === "committed" || this.state === "aborted";
  }

  /** Why the switchover cannot happen now, or undefined when it can. */
  blocker(): string | undefined {
    if (this.state !== "open") return `the switchover transaction is already ${this.state}`;
    if (this.migrationSubstatus !== "pre-switchover")
      return `migration '${this.migrationId}' has not reached pre-switchover`;
    for (const [id, mirror] of this.mirrors)
      if (mirror.status !== "ready") return `mirror job '${id}' is not ready (status '${mirror.status}')`;
    return undefined;
  }

  /** job-finalize on the migration job: commit now, or say why not. */
  async finalize(): Promise<void> {
    const why = this.blocker();
    if (why !== undefined) throw generic(`Cannot switch over: ${why}`);
    await this.commit();
  }

  /** The migration job's substatus changed (the facade calls this after every observation). */
  migrationChanged(substatus: string): void {
    this.migrationSubstatus = substatus;
    const beforeContinue = this.state === "open" || this.state === "committing";
    if (beforeContinue && MIGRATION_OVER.includes(substatus))
      this.abort(`migration '${this.migrationId}' ended in '${substatus}' before the switchover`);
    else this.maybeCommit();
  }

  /** Any upstream event; the ones about member mirrors move the transaction. */
  upstreamEvent(event: QmpEvent): void {
    const data = event.data ?? {};
    const id = event.event === "JOB_STATUS_CHANGE" ? data.id : data.device;
    if (typeof id !== "string") return;
    const mirror = this.mirrors.get(id);
    if (!mirror) return;
    if (event.event === "JOB_STATUS_CHANGE" && typeof data.status === "string")
      this.mirrorStatus(id, mirror, data.status);
    else if (event.event === "BLOCK_JOB_COMPLETED") {
      mirror.outcome = typeof data.error === "string" ? "failed" : "completed";
      if (typeof data.error === "string") mirror.error = data.error;
      this.mirrorEnded(id, mirror);
    } else if (event.event === "BLOCK_JOB_CANCELLED") {
      mirror.outcome = "cancelled";
      this.mirrorEnded(id, mirror);
    }
  }

  private mirrorStatus(id: string, mirror: Mirror, status: string): void {
    mirror.status = status;
    if (this.state === "open") {
      if (!COPYING.includes(status))
        this.abort(`mirror job '${id}' stopped copying ('${status}') before the switchover`);
      else this.maybeCommit();
    } else if (this.state === "committing" && status === "pending")
      // A mirror created with auto-finalize off waits for its finalize; the commit gives it.
      // QEMU does not report auto-finalize, and one that has it is gone before this arrives.
      void this.upstream.execute("job-finalize", { id }).catch(() => undefined);
  }

  private mirrorEnded(id: string, mirror: Mirror): void {
    if (this.state === "open") {
      this.abort(`mirror job '${id}' ended (${mirror.outcome}) before the switchover`);
      return;
    }
    if (this.state !== "committing") return;
    if (mirror.outcome !== "completed") {
      this.abort(`mirror job '${id}' ${mirror.outcome} while switching over${errorSuffix(mirror)}`);
      return;
    }
    if ([...this.mirrors.values()].every((m) => m.outcome === "completed")) {
      this.state = "committed";
      this.log("every mirror completed; continuing the migration");
      this.send("migrate-continue", { state: "pre-switchover" });
    }
  }

  private maybeCommit(): void {
    if (this.autoFinalize && this.blocker() === undefined) void this.commit().catch(() => undefined);
  }

  /**
   * Phase two: the guest is stopped at pre-switchover, so each ready mirror drains what is left
   * and completes; the migration continues once all of them did.
   */
  private async commit(): Promise<void> {
    this.state = "committing";
    this.log("switching over: completing every mirror without pivot");
    if (this.mirrors.size === 0) {
      this.state = "committed";
      await this.upstream.execute("migrate-continue", { state: "pre-switchover" });
      return;
    }
    for (const id of this.mirrors.keys()) {
      try {
        await this.upstream.execute("block-job-cancel", { device: id, force: false });
      } catch (error) {
        this.abort(`mirror job '${id}' refused to complete: ${String(error)}`);
        throw error;
      }
    }
  }

  /** One member failed or stopped: cancel every member still alive. Idempotent. */
  abort(reason: string): void {
    if (this.state === "aborted" || this.state === "committed") return;
    this.state = "aborted";
    this.reason = reason;
    this.log(`aborting the switchover transaction: ${reason}`);
    if (!MIGRATION_OVER.includes(this.migrationSubstatus)) this.send("migrate_cancel");
    for (const [id, mirror] of this.mirrors)
      if (mirror.outcome === undefined && !ENDED.includes(mirror.status)) this.send("job-cancel", { id });
  }

  private send(command: string, args?: JsonObject): void {
    void this.upstream.execute(command, args).catch((error: unknown) => {
      this.log(`${command} failed: ${String(error)}`);
    });
  }
}

function errorSuffix(mirror: Mirror): string {
  return mirror.error === undefined ? "" : `: ${mirror.error}`;
}

/** QEMU's visitor texts for a `['str']` argument; returns the IDs, or [] when absent. */
export function mirrorsArgument(value: JsonValue | undefined): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw generic("Invalid parameter type for 'mirrors', expected: array");
  return value.map((item, index) => {
    if (typeof item !== "string")
      throw generic(`Invalid parameter type for 'mirrors[${index}]', expected: string`);
    return item;
  });
}

/**
 * Checks that every ID names a live QEMU mirror job that no other transaction holds; returns
 * each one's current status. `upstreamJobs` is QEMU's query-jobs answer.
 */
export function memberStatuses(
  ids: string[],
  upstreamJobs: JsonValue,
  heldBy: (id: string) => string | undefined,
): Map<string, string> {
  const jobs = Array.isArray(upstreamJobs) ? upstreamJobs : [];
  const statuses = new Map<string, string>();
  for (const id of ids) {
    if (statuses.has(id)) throw generic(`Mirror job '${id}' is listed twice`);
    const job = jobs.find((j): j is JsonObject => isObject(j) && j.id === id);
    if (!job) throw generic(`Mirror job '${id}' not found`);
    if (job.type !== "mirror") throw generic(`Job '${id}' is a '${String(job.type)}' job, not a mirror`);
    const status = String(job.status);
    if (!COPYING.includes(status))
      throw generic(`Mirror job '${id}' in state '${status}' cannot join a switchover`);
    const holder = heldBy(id);
    if (holder !== undefined)
      throw generic(`Mirror job '${id}' already switches over with migration '${holder}'`);
    statuses.set(id, status);
  }
  return statuses;
}

function isObject(value: JsonValue): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
