/**
 * One migration seen as a job: the substatus is QEMU's MigrationStatus, the job status follows
 * from it through the generated tables of the job's refining machine only. Every status change
 * is reported as the JobSTT walk the schema declares (the `via` states included), then the
 * substatus change, so a client that reacts to the substatus finds query-jobs consistent.
 */
import type { JobStatus, MigrationStatus } from "../../src/generated/types.ts";
import { allowed, isState, refinedPath, refinedState } from "../../src/state-machine.ts";
import { type Direction, type MigrationMachine, machineFor } from "./machine-choice.ts";
import { shortestJobPath, shortestJobPathVia } from "./shortest-path.ts";

export interface JobEventSink {
  statusChanged(id: string, status: JobStatus): void;
  substatusChanged(id: string, substatus: MigrationStatus, unknownStatus: string | undefined): void;
  /** Something QEMU did that the mapping does not declare (kept for the conformance suite). */
  anomaly?(id: string, message: string): void;
}

export interface MigrationJobOptions {
  id: string;
  direction: Direction;
  postcopy: boolean;
  uri: string;
  autoFinalize: boolean;
  autoDismiss: boolean;
  /**
   * The facade did not start this migration but found it in QEMU (decision 0001, 14): it owns no
   * capability of it and holds it nowhere.
   */
  adopted?: boolean;
}

const CONCLUDED: readonly string[] = ["completed", "failed", "cancelled"];

/** The error a concluded job reports: none for success, QEMU's text for a failure. */
function errorFor(substatus: string, errorDesc: string | undefined): string | undefined {
  if (substatus === "cancelled") return "Operation canceled";
  if (substatus === "failed") return errorDesc ?? "Migration failed";
  return undefined;
}

export class MigrationJob {
  readonly machine: MigrationMachine;
  substatus: MigrationStatus = "none";
  unknownStatus: string | undefined;
  status: JobStatus = "undefined";
  error: string | undefined;
  uri: string;
  private lateStart = false;

  constructor(
    readonly options: MigrationJobOptions,
    private readonly sink: JobEventSink,
  ) {
    this.machine = machineFor(options.direction, options.postcopy);
    this.uri = options.uri;
  }

  get id(): string {
    return this.options.id;
  }

  get concluded(): boolean {
    return this.status === "concluded" || this.status === "null";
  }

  /** The job appears, as every job does: undefined → created. */
  announce(): void {
    this.enter("created");
  }

  /**
   * A migration found under way (adoption): the job appears and takes a legal walk, without anomalies, to the
   * status QEMU reports — through `setup`, which every migration passed, then the shortest
   * JobSTT walk where the machine declares no path from there. Not an anomaly: the job only
   * starts being watched late.
   */
  adoptAt(status: string): void {
    this.announce();
    this.lateStart = true;
    try {
      if (status !== "setup" && refinedPath(this.machine, "none", status as never) === undefined)
        this.observe("setup");
      this.observe(status);
    } finally {
      this.lateStart = false;
    }
  }

  /**
   * QEMU reports `next`. Never throws: an unknown status is carried as `unknown-status`; an
   * undeclared change takes the shortest JobSTT walk; an impossible one leaves the job put.
   */
  observe(next: string, errorDesc?: string): void {
    if (this.status === "null") return;
    if (!isState(this.machine, next)) {
      this.observeUnknown(next);
      return;
    }
    const wasUnknown = this.unknownStatus !== undefined;
    if (next === this.substatus) {
      if (wasUnknown) this.setSubstatus(next);
      return;
    }
    const walk = this.walkTo(next);
    if (walk === undefined) {
      this.sink.anomaly?.(
        this.id,
        `'${this.substatus}' → '${next}' has no JobSTT walk; job left in '${this.status}'`,
      );
      return;
    }
    if (CONCLUDED.includes(next)) this.error = errorFor(next, errorDesc);
    for (const status of walk.slice(1)) this.enter(status as JobStatus);
    this.setSubstatus(next);
  }

  /** Whether `verb` may run now; an unknown status keeps the verbs of the last known one. */
  accepts(verb: string): boolean {
    return allowed(this.machine, verb as never, this.substatus);
  }

  /** The job leaves: concluded → null. */
  dismiss(): void {
    this.enter("null");
  }

  private walkTo(next: MigrationStatus): readonly string[] | undefined {
    const declared = refinedPath(this.machine, this.substatus, next);
    if (declared !== undefined) return declared;
    const target = refinedState(this.machine, next);
    if (typeof target !== "string") return undefined;
    const walk =
      errorFor(next, undefined) === undefined
        ? shortestJobPath(this.status, target)
        : shortestJobPathVia(this.status, "aborting", target);
    if (walk !== undefined && !this.lateStart)
      this.sink.anomaly?.(
        this.id,
        `undeclared '${this.substatus}' → '${next}' walked as ${walk.join(" → ")}`,
      );
    return walk;
  }

  private observeUnknown(next: string): void {
    if (this.unknownStatus === next) return;
    this.unknownStatus = next;
    this.sink.substatusChanged(this.id, this.substatus, next);
  }

  private setSubstatus(next: MigrationStatus): void {
    this.substatus = next;
    this.unknownStatus = undefined;
    this.sink.substatusChanged(this.id, next, undefined);
  }

  private enter(status: JobStatus): void {
    this.status = status;
    this.sink.statusChanged(this.id, status);
  }
}
