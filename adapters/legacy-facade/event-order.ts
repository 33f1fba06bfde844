/**
 * Keeps passed-through events (STOP, RESUME, MIGRATION_PASS, ...) in QEMU's order against the
 * MIGRATION events the facade tells from JOB_SUBSTATUS_CHANGE. A job backend that reconciles
 * before it reports a substatus (the job facade queries QEMU first) lets a STOP overtake the
 * `postcopy-active` QEMU sent before it. When the backend also relays QEMU's own MIGRATION
 * events, they mark where each passed-through event belongs: the event waits until the status
 * QEMU announced before it has been told (or the job ended, or HOLD_MS passed). A backend
 * without MIGRATION events holds nothing back.
 */
import type { JsonObject } from "../../src/qmp/json-value.ts";

type Event = JsonObject & { event: string };

const HOLD_MS = 1000;

export class EventOrder {
  /** QEMU's MIGRATION statuses for the current job, in its order. */
  private statuses: string[] = [];
  /** How many of `statuses` have been told to clients (or passed by a later one). */
  private toldCount = 0;
  private held: { event: Event; after: number }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly send: (event: Event) => void) {}

  reset(): void {
    this.flush();
    this.statuses = [];
    this.toldCount = 0;
  }

  /** QEMU announced `status` (the backend relayed its MIGRATION event). */
  said(status: string): void {
    this.statuses.push(status);
  }

  /** An event to pass on: now, or once the statuses QEMU sent before it have been told. */
  pass(event: Event): void {
    if (this.toldCount >= this.statuses.length && this.held.length === 0) {
      this.send(event);
      return;
    }
    this.held.push({ event, after: this.statuses.length });
    this.timer ??= setTimeout(() => this.flush(), HOLD_MS);
  }

  /** The facade told `status`; at the end of a job nothing is held any more. */
  told(status: string, ended: boolean): void {
    const index = this.statuses.indexOf(status, this.toldCount);
    if (index >= 0) this.toldCount = index + 1;
    if (ended) this.toldCount = this.statuses.length;
    this.release();
  }

  flush(): void {
    this.toldCount = this.statuses.length;
    this.release();
  }

  private release(): void {
    while (this.held.length > 0 && (this.held[0]?.after ?? 0) <= this.toldCount) {
      const next = this.held.shift();
      if (next) this.send(next.event);
    }
    if (this.held.length === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
