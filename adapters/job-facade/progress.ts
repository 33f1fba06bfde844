/**
 * Progress and convergence of a migration job from successive query-migrate answers (decision
 * 0001, 8): current-progress = bytes sent, never reported lower than before; total-progress =
 * sent + remaining, an estimate that rises after each dirty sync; a verdict on whether the copy
 * converges judged from the remaining bytes at successive passes; stall detection.
 */
import { isJsonObject, type JsonObject, type JsonValue } from "../../src/qmp/json-value.ts";

export interface ProgressOptions {
  /** No byte sent for this long while running → stalled. Default 10 s. */
  stallAfterMs?: number;
  /** Passes needed before a verdict. Default 3. */
  minPasses?: number;
}

export type Convergence = "unknown" | "converging" | "not-converging" | "stalled";

export interface ProgressView {
  current: number;
  total: number;
  passes: number;
  convergence: Convergence;
  expectedRemainingMs: number | undefined;
  stalledMs: number | undefined;
}

const num = (value: JsonValue | undefined): number => (typeof value === "number" ? value : 0);
const section = (details: JsonObject, name: string): JsonObject => {
  const value = details[name];
  return isJsonObject(value) ? value : {};
};

export class ProgressTracker {
  private current = 0;
  private total = 0;
  private passes = 0;
  /** Remaining bytes seen at the start of each pass, oldest first. */
  private readonly remainingAtPass: number[] = [];
  private bytesPerSecond = 0;
  private lastGrowthAt: number;
  private finished = false;
  private precopy = false;

  constructor(
    private readonly options: ProgressOptions = {},
    now: number = Date.now(),
  ) {
    this.lastGrowthAt = now;
  }

  /** Takes one query-migrate answer (MigrationInfo) seen at `now`. */
  update(details: JsonObject, now: number = Date.now()): void {
    const ram = section(details, "ram");
    const disk = section(details, "disk");
    const vfio = section(details, "vfio");
    const sent = num(ram.transferred) + num(disk.transferred) + num(vfio.transferred);
    const remaining = num(ram.remaining) + num(disk.remaining);
    if (sent > this.current) {
      this.current = sent;
      this.lastGrowthAt = now;
    }
    const status = details.status;
    this.precopy = status === "active" || status === "setup" || status === "wait-unplug";
    this.finished = status === "completed";
    this.total = this.finished ? this.current : Math.max(this.current, this.current + remaining);
    if (typeof ram.mbps === "number" && ram.mbps > 0) this.bytesPerSecond = (ram.mbps * 1e6) / 8;
    this.notePass(num(ram["dirty-sync-count"]), remaining);
  }

  /** Running and reporting: the caller decides whether the job still runs. */
  view(running: boolean, now: number = Date.now()): ProgressView {
    const stalledMs = running ? Math.max(0, now - this.lastGrowthAt) : undefined;
    const convergence = this.verdict(stalledMs);
    const remaining = this.total - this.current;
    const expectedRemainingMs =
      convergence === "converging" && this.bytesPerSecond > 0
        ? Math.round((remaining / this.bytesPerSecond) * 1000)
        : undefined;
    return {
      current: this.current,
      total: this.total,
      passes: this.passes,
      convergence,
      expectedRemainingMs,
      stalledMs,
    };
  }

  private notePass(syncs: number, remaining: number): void {
    if (syncs <= this.passes) return;
    this.passes = syncs;
    this.remainingAtPass.push(remaining);
    if (this.remainingAtPass.length > 8) this.remainingAtPass.shift();
  }

  private verdict(stalledMs: number | undefined): Convergence {
    if (stalledMs !== undefined && stalledMs > (this.options.stallAfterMs ?? 10_000)) return "stalled";
    if (!this.precopy) return this.finished ? "converging" : "unknown";
    const seen = this.remainingAtPass;
    // The first pass sends all of RAM; only the passes after it say how fast the guest dirties.
    if (this.passes < (this.options.minPasses ?? 3) || seen.length < 2) return "unknown";
    const last = seen[seen.length - 1] as number;
    const before = seen[seen.length - 2] as number;
    return last < before ? "converging" : "not-converging";
  }
}
