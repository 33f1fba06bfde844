/**
 * The one migration a legacy client can see, backed by a job of the backend. It keeps what
 * `query-migrate` must go on reporting after the job is gone (decision 0001, tension 6): the
 * last status told to clients and the last MigrationInfo.
 */
import type { JsonObject } from "../../src/qmp/json-value.ts";

export type Direction = "outgoing" | "incoming";

export const CONCLUDED: readonly string[] = ["completed", "failed", "cancelled"];

export class LegacyJob {
  /** The status clients were told (QEMU's string, known to jobshim or not). */
  substatus = "none";
  /** The backend's last MigrationInfo for this job. */
  info: JsonObject = {};
  /** Statuses the backend announced with QEMU's own MIGRATION event (when it sends them). */
  readonly backendSaid = new Set<string>();
  /** The MigrationInfo was fetched after the end: it no longer changes. */
  finalInfo = false;
  /** Whether any MIGRATION event was told to clients yet. */
  told = false;
  /**
   * How many substatus events the backend sent for this job: a query-jobs answer read after one
   * more arrived is older than that event (the client hands events over as it reads them,
   * replies a few microtasks later) and must not take the status back.
   */
  reports = 0;
  /**
   * migrate-start-postcopy was asked before `active` (QEMU 7.2 keeps such a request and switches
   * once active); the facade asks the backend for it when the job gets there.
   */
  postcopyRequested = false;
  /**
   * A backend migration job this facade did not start (decision 0001, 14): another client's, or
   * one the job facade adopted. The facade follows it; QEMU's reset by the next `migrate` is the
   * backend's business (it auto-dismisses such jobs).
   */
  adopted = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly id: string,
    readonly direction: Direction,
  ) {}

  get concluded(): boolean {
    return CONCLUDED.includes(this.substatus);
  }

  /** Running from the client's point of view: refuses a new migrate, set-capabilities. */
  get running(): boolean {
    return this.direction === "outgoing" && this.substatus !== "none" && !this.concluded;
  }

  setSubstatus(status: string): void {
    this.substatus = status;
    for (const wake of this.waiters) wake();
  }

  /** Resolves at the next status change, or after `ms` at the latest. */
  nextChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waiters.add(wake);
    });
  }

  /** What query-migrate answers: the last MigrationInfo, with the status the clients know. */
  view(): JsonObject {
    if (this.substatus === "none") return {};
    if (this.listening) return this.listeningView();
    const stale = typeof this.info.status === "string" && this.info.status !== this.substatus;
    if (stale && this.concluded) return this.endedView();
    const view: JsonObject = { ...this.info, status: this.substatus };
    // QEMU 7.2's destination drops its listening address once the incoming migration ended;
    // details captured at the very end may still carry it.
    if (this.concluded && this.direction === "incoming") delete view["socket-address"];
    return view;
  }

  /**
   * A destination that announced `setup` and waits for its source: QEMU 7.2 sends that event
   * without entering the state, so its query-migrate has no status yet, only the address.
   */
  private get listening(): boolean {
    return this.direction === "incoming" && this.substatus === "setup";
  }

  private listeningView(): JsonObject {
    const { status: _status, ...rest } = this.info;
    return rest;
  }

  /**
   * The backend ended the job but still holds MigrationInfo from before the end (the job facade
   * can: its details may lag the status). QEMU 7.2 reports a cancelled migration, and a
   * finished incoming one, by status alone, and a failure with its error-desc; only a completed
   * outgoing migration has counters, which the stale copy cannot give, so it keeps them.
   */
  private endedView(): JsonObject {
    const status = this.substatus;
    if (status === "completed" && this.direction === "outgoing") return { ...this.info, status };
    const error = this.info["error-desc"];
    return status === "failed" && typeof error === "string" ? { status, "error-desc": error } : { status };
  }
}
