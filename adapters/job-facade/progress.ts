/**
 * Progress and convergence of a migration job from successive query-migrate answers (decision
 * 0001, 8; reasoning in docs/progress.md): current-progress = bytes sent, never reported lower
 * than before; total-progress = sent + remaining, an estimate that rises after each dirty sync;
 * a verdict on whether the copy reaches its switchover, judged from the dirty rate, the
 * bandwidth and the downtime limit (convergence.ts); stall detection.
 */
import { isJsonObject, type JsonObject, type JsonValue } from "../../src/qmp/json-value.ts";
import {
  type Convergence,
  expectedRemainingMs,
  judge,
  type PassSample,
  recentMedian,
} from "./convergence.ts";

export type { Convergence } from "./convergence.ts";

/** QEMU's default downtime-limit, in milliseconds. */
export const DEFAULT_DOWNTIME_LIMIT_MS = 300;

export interface ProgressOptions {
  /** No byte sent for this long while running → stalled. Default 10 s. */
  stallAfterMs?: number;
  /** Bitmap syncs needed before a verdict (the first sends all RAM, the second measures the dirty rate). Default 3. */
  minPasses?: number;
  /** The migration's downtime-limit until `setDowntimeLimit` says otherwise. Default 300 ms. */
  downtimeLimitMs?: number;
  /** More projected passes than this → not converging. Default 12. */
  maxPasses?: number;
}

export interface ProgressView {
  current: number;
  total: number;
  passes: number;
  convergence: Convergence;
  expectedRemainingMs: number | undefined;
  stalledMs: number | undefined;
  /** Bytes per second the migration sends (QEMU's mbps, median of the last samples). */
  throughput: number | undefined;
  /** Bytes per second the guest dirties, measured at the last bitmap sync. */
  dirtyRate: number | undefined;
  downtimeLimitMs: number;
}

const num = (value: JsonValue | undefined): number => (typeof value === "number" ? value : 0);
const section = (details: JsonObject, name: string): JsonObject => {
  const value = details[name];
  return isJsonObject(value) ? value : {};
};
const PRECOPY = ["setup", "active", "wait-unplug"];
/** Statuses in which nothing moves on purpose: waiting for the user is not a stall. */
const WAITING = ["pre-switchover"];
/** Past the point where precopy could fail to converge: switched over, or postcopy (each page once). */
const COPIED = ["pre-switchover", "device", "completed", "postcopy-active", "postcopy-recover"];
const KEEP = 8;

export class ProgressTracker {
  private current = 0;
  private total = 0;
  private remaining = 0;
  private passes = 0;
  private readonly samples: PassSample[] = [];
  private readonly throughputs: number[] = [];
  private lastGrowthAt: number;
  private status = "none";
  private verdict: Convergence = "unknown";
  private downtimeLimitMs: number;

  constructor(
    private readonly options: ProgressOptions = {},
    now: number = Date.now(),
  ) {
    this.lastGrowthAt = now;
    this.downtimeLimitMs = options.downtimeLimitMs ?? DEFAULT_DOWNTIME_LIMIT_MS;
  }

  /** The job's downtime-limit (job-migrate or job-change set it). */
  setDowntimeLimit(ms: number): void {
    if (ms > 0) this.downtimeLimitMs = ms;
  }

  /** Takes one query-migrate answer (MigrationInfo) seen at `now`. */
  update(details: JsonObject, now: number = Date.now()): void {
    const ram = section(details, "ram");
    const disk = section(details, "disk");
    const vfio = section(details, "vfio");
    const sent = num(ram.transferred) + num(disk.transferred) + num(vfio.transferred);
    if (sent > this.current) {
      this.current = sent;
      this.lastGrowthAt = now;
    }
    this.remaining = num(ram.remaining) + num(disk.remaining);
    this.status = typeof details.status === "string" ? details.status : this.status;
    this.total = this.status === "completed" ? this.current : this.current + this.remaining;
    if (num(ram.mbps) > 0) keepLast(this.throughputs, (num(ram.mbps) * 1e6) / 8);
    this.notePass(ram);
  }

  /**
   * The migration completed. The job concludes on QEMU's event, before query-migrate's final
   * answer arrives, and query-jobs must show total = current from then on (decision 0001, 8).
   */
  completed(): void {
    this.status = "completed";
    this.remaining = 0;
    this.total = this.current;
  }

  /** Running and reporting: the caller decides whether the job still runs. */
  view(running: boolean, now: number = Date.now()): ProgressView {
    const waiting = WAITING.includes(this.status);
    const stalledMs = running && !waiting ? Math.max(0, now - this.lastGrowthAt) : undefined;
    const stalled = stalledMs !== undefined && stalledMs > (this.options.stallAfterMs ?? 10_000);
    const throughput = this.throughput();
    const convergence = stalled ? "stalled" : this.currentVerdict();
    return {
      current: this.current,
      total: this.total,
      passes: this.passes,
      convergence,
      expectedRemainingMs: stalled ? undefined : this.eta(throughput),
      stalledMs,
      throughput,
      dirtyRate: this.samples[this.samples.length - 1]?.dirtyRate,
      downtimeLimitMs: this.downtimeLimitMs,
    };
  }

  private throughput(): number | undefined {
    return this.throughputs.length > 0 ? recentMedian(this.throughputs) : undefined;
  }

  /** A new bitmap sync: record what it measured and judge again (once per pass, not per poll). */
  private notePass(ram: JsonObject): void {
    const syncs = num(ram["dirty-sync-count"]);
    if (syncs <= this.passes) return;
    this.passes = syncs;
    const bandwidth = this.throughput() ?? 0;
    // QEMU measures the dirty rate from the second sync on; the first one only starts the count.
    if (syncs < 2 || bandwidth <= 0) return;
    const pageSize = num(ram["page-size"]) || 4096;
    const sample = {
      remaining: num(ram.remaining),
      dirtyRate: num(ram["dirty-pages-rate"]) * pageSize,
      bandwidth,
    };
    keepLast(this.samples, sample);
    if (this.passes >= (this.options.minPasses ?? 3) && PRECOPY.includes(this.status))
      this.verdict = judge(this.verdict, this.samples, this.downtimeLimitMs, this.options).convergence;
  }

  private currentVerdict(): Convergence {
    if (COPIED.includes(this.status)) return "converging";
    return PRECOPY.includes(this.status) ? this.verdict : "unknown";
  }

  private eta(throughput: number | undefined): number | undefined {
    if (throughput === undefined) return undefined;
    if (this.status === "completed") return 0;
    // Postcopy sends every remaining page exactly once.
    if (this.status === "postcopy-active") return Math.round((this.remaining / throughput) * 1000);
    const judgement = judge(this.verdict, this.samples, this.downtimeLimitMs, this.options);
    if (this.verdict !== "converging") return undefined;
    const lastSync = this.samples[this.samples.length - 1]?.remaining ?? this.remaining;
    return expectedRemainingMs(
      this.remaining,
      lastSync,
      { ...judgement, convergence: "converging" },
      throughput,
    );
  }
}

function keepLast<T>(list: T[], value: T): void {
  list.push(value);
  if (list.length > KEEP) list.shift();
}
