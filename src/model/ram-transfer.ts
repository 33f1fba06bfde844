/**
 * Guest RAM as the migration sees it: a dirty bitmap synced once per pass, pages sent at the
 * bandwidth allowed, zero pages nearly free, pages dirtied by the guest at a steady rate. Keeps
 * QEMU's `MigrationStats` counters (only their meaning is modelled, not QEMU's arithmetic).
 */
import type { JsonObject } from "../qmp/json-value.ts";

export const PAGE_SIZE = 4096;
/** Bytes on the wire per page: a header plus the page, or a header plus one byte for a zero page. */
const NORMAL_COST = PAGE_SIZE + 8;
const ZERO_COST = 9;

export interface RamShape {
  ramBytes: number;
  /** Bytes of non-zero content (the rest is zero pages). */
  fillBytes: number;
  /** Bytes per second the guest dirties (as non-zero pages). */
  dirtyBytesPerSecond: number;
}

export class RamTransfer {
  private readonly totalPages: number;
  private passPages = 0;
  private passNormal = 0;
  private sentInPass = 0;
  private dirtied = 0;
  transferred = 0;
  precopyBytes = 0;
  postcopyBytes = 0;
  downtimeBytes = 0;
  normal = 0;
  duplicate = 0;
  syncCount = 0;
  dirtyPagesRate = 0;
  pagesPerSecond = 0;
  mbps = 0;

  constructor(private readonly shape: RamShape) {
    this.totalPages = Math.floor(shape.ramBytes / PAGE_SIZE);
  }

  /** The first sync marks every page dirty; later ones add what the guest dirtied meanwhile. */
  sync(): void {
    this.syncCount++;
    if (this.syncCount === 1) {
      this.passPages = this.totalPages;
      this.passNormal = Math.min(this.totalPages, Math.ceil(this.shape.fillBytes / PAGE_SIZE));
    } else {
      const left = this.passPages - this.sentInPass;
      const leftNormal = this.passPages === 0 ? 0 : (this.passNormal * left) / this.passPages;
      const dirty = Math.floor(this.dirtied);
      this.passPages = Math.min(this.totalPages, left + dirty);
      this.passNormal = Math.min(this.passPages, leftNormal + dirty);
    }
    this.sentInPass = 0;
    this.dirtied = 0;
  }

  /** The guest runs for `ms`: pages get dirty. */
  guestRuns(ms: number): void {
    const pages = (this.shape.dirtyBytesPerSecond * ms) / 1000 / PAGE_SIZE;
    this.dirtied = Math.min(this.totalPages, this.dirtied + pages);
    this.dirtyPagesRate = Math.round(this.shape.dirtyBytesPerSecond / PAGE_SIZE);
  }

  /** Sends up to `budget` bytes of this pass; returns the bytes used. */
  send(budget: number, phase: "precopy" | "downtime" | "postcopy"): number {
    const left = this.passPages - this.sentInPass;
    if (left <= 0) return 0;
    const normalShare = this.passPages === 0 ? 0 : this.passNormal / this.passPages;
    const cost = normalShare * NORMAL_COST + (1 - normalShare) * ZERO_COST;
    const pages = Math.min(left, Math.floor(budget / cost) || (budget >= cost ? 1 : 0));
    const used = Math.round(pages * cost);
    this.sentInPass += pages;
    this.normal += Math.round(pages * normalShare);
    this.duplicate += Math.round(pages * (1 - normalShare));
    this.transferred += used;
    if (phase === "precopy") this.precopyBytes += used;
    else if (phase === "downtime") this.downtimeBytes += used;
    else this.postcopyBytes += used;
    return used;
  }

  /** Sends the rest of the pass whatever it costs (the stopped guest's last pages). */
  sendAll(phase: "downtime" | "postcopy"): number {
    return this.send(Number.MAX_SAFE_INTEGER, phase);
  }

  get remainingBytes(): number {
    return (this.passPages - this.sentInPass) * PAGE_SIZE;
  }

  /** Bytes the rest of this pass costs on the wire. */
  get remainingCost(): number {
    const share = this.passPages === 0 ? 0 : this.passNormal / this.passPages;
    return (this.passPages - this.sentInPass) * (share * NORMAL_COST + (1 - share) * ZERO_COST);
  }

  /** Pages dirtied since the last sync, as bytes. */
  get dirtiedBytes(): number {
    return Math.floor(this.dirtied) * PAGE_SIZE;
  }

  /** `MigrationStats` as QEMU 7.2 reports it. */
  stats(): JsonObject {
    return {
      transferred: this.transferred,
      remaining: this.remainingBytes,
      total: this.totalPages * PAGE_SIZE,
      duplicate: this.duplicate,
      skipped: 0,
      normal: this.normal,
      "normal-bytes": this.normal * PAGE_SIZE,
      "dirty-pages-rate": this.dirtyPagesRate,
      mbps: this.mbps,
      "dirty-sync-count": this.syncCount,
      "postcopy-requests": 0,
      "page-size": PAGE_SIZE,
      "multifd-bytes": 0,
      "pages-per-second": this.pagesPerSecond,
      "precopy-bytes": this.precopyBytes,
      "downtime-bytes": this.downtimeBytes,
      "postcopy-bytes": this.postcopyBytes,
      "dirty-sync-missed-zero-copy": 0,
    };
  }
}
