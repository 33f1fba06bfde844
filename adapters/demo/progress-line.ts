/**
 * The demo's one-line view of a migration job: status, substatus, a bar whose percentage never
 * goes back (total-progress may rise after a dirty sync; the bar waits instead of retreating),
 * throughput and an ETA. The job API itself reports honest counters; only this display clamps.
 */
import type { JsonObject } from "../../src/qmp/json-value.ts";

const WIDTH = 30;

export interface ProgressSample {
  status: string;
  substatus: string;
  current: number;
  total: number;
  /** The facade's estimate, present while the copy converges. */
  expectedRemainingMs: number | undefined;
}

export function sampleOf(job: JsonObject): ProgressSample {
  const progress = (job.progress ?? {}) as JsonObject;
  return {
    status: String(job.status),
    substatus: String(job.substatus),
    current: Number(job["current-progress"] ?? 0),
    total: Number(job["total-progress"] ?? 0),
    expectedRemainingMs:
      typeof progress["expected-remaining-time"] === "number"
        ? progress["expected-remaining-time"]
        : undefined,
  };
}

export class ProgressLine {
  private shown = 0;
  private readonly window: { at: number; bytes: number }[] = [];

  /** The percentage shown, never lower than before; 100 only once the migration completed. */
  percent(sample: ProgressSample): number {
    const done = sample.substatus === "completed";
    const ratio = sample.total > 0 ? Math.floor((sample.current / sample.total) * 100) : 0;
    this.shown = done ? 100 : Math.max(this.shown, Math.min(99, ratio));
    return this.shown;
  }

  /** Bytes per second over the last few seconds. */
  rate(sample: ProgressSample, now: number): number {
    this.window.push({ at: now, bytes: sample.current });
    while (this.window.length > 2 && now - (this.window[0]?.at ?? now) > 3000) this.window.shift();
    const first = this.window[0];
    if (!first || now <= first.at) return 0;
    return ((sample.current - first.bytes) * 1000) / (now - first.at);
  }

  render(sample: ProgressSample, now: number = Date.now()): string {
    const percent = this.percent(sample);
    const rate = this.rate(sample, now);
    const filled = Math.round((percent / 100) * WIDTH);
    const bar = `${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}`;
    const eta = this.eta(sample, rate);
    const state = `${sample.status}/${sample.substatus}`.padEnd(26);
    return `${state} [${bar}] ${String(percent).padStart(3)}%  ${mib(sample.current)} of ~${mib(sample.total)}  ${mib(rate)}/s  ETA ${eta}`;
  }

  private eta(sample: ProgressSample, rate: number): string {
    if (sample.substatus === "completed") return "done";
    const ms =
      sample.expectedRemainingMs ?? (rate > 0 ? ((sample.total - sample.current) / rate) * 1000 : undefined);
    return ms === undefined ? "--" : `${(ms / 1000).toFixed(1)}s`;
  }
}

export const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
