/**
 * The one-line view of a migration job shared by `jobshim demo` and `jobshim migrate`: status,
 * substatus, a bar whose percentage never goes back (total-progress may rise after a dirty sync;
 * the bar waits instead of retreating), throughput and an ETA. The job API itself reports honest
 * counters; only this display clamps. On a terminal the line fits its width, so a redraw never
 * wraps; without one it is printed whole.
 */
import type { JsonObject } from "../../src/qmp/json-value.ts";

const BAR_MAX = 30;
const BAR_MIN = 10;
/** An ETA from less than this much measuring jumps around (early samples are all setup). */
const SETTLE_MS = 2000;

export interface ProgressSample {
  status: string;
  substatus: string;
  current: number;
  total: number;
  /** The facade's estimate, present while the copy converges. */
  expectedRemainingMs: number | undefined;
}

/** What the caller knows better than the line: the facade's throughput, a word at the end. */
export interface RenderView {
  /** Terminal width; undefined when not drawing on a terminal. */
  columns?: number | undefined;
  rate?: number | undefined;
  /** Shown last and kept as long as anything is (the verdict, the disks). */
  trailer?: string;
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
  private firstAt: number | undefined;

  /** The percentage shown, never lower than before; 100 only once the migration completed. */
  percent(sample: ProgressSample): number {
    const done = sample.substatus === "completed";
    const ratio = sample.total > 0 ? Math.floor((sample.current / sample.total) * 100) : 0;
    this.shown = done ? 100 : Math.max(this.shown, Math.min(99, ratio));
    return this.shown;
  }

  /** Bytes per second over the last few seconds. */
  rate(sample: ProgressSample, now: number): number {
    this.firstAt ??= now;
    this.window.push({ at: now, bytes: sample.current });
    while (this.window.length > 2 && now - (this.window[0]?.at ?? now) > 3000) this.window.shift();
    const first = this.window[0];
    if (!first || now <= first.at) return 0;
    return ((sample.current - first.bytes) * 1000) / (now - first.at);
  }

  render(sample: ProgressSample, now: number = Date.now(), view: RenderView = {}): string {
    const percent = this.percent(sample);
    const measured = this.rate(sample, now);
    const rate = view.rate ?? measured;
    const fields: Field[] = [
      { text: `${String(percent).padStart(3)}%`, keep: true },
      // Until the first size report there is nothing honest to say about the total.
      {
        text:
          sample.total > 0
            ? `${mib(sample.current)} of ~${mib(sample.total)}`
            : `${mib(sample.current)} sent`,
      },
      { text: `${mib(rate)}/s` },
      { text: `ETA ${this.eta(sample, rate, now)}`, keep: true },
      ...(view.trailer ? [{ text: view.trailer, keep: true }] : []),
    ];
    return fitLine(`${sample.status}/${sample.substatus}`, percent, fields, view.columns);
  }

  private eta(sample: ProgressSample, rate: number, now: number): string {
    if (sample.substatus === "completed") return "done";
    if (now - (this.firstAt ?? now) < SETTLE_MS) return "--";
    const ms =
      sample.expectedRemainingMs ?? (rate > 0 ? ((sample.total - sample.current) / rate) * 1000 : undefined);
    return ms === undefined ? "--" : `${(ms / 1000).toFixed(1)}s`;
  }
}

interface Field {
  text: string;
  /** Kept when the terminal is narrow; the others go first, rightmost first. */
  keep?: boolean;
}

/**
 * `state [bar] fields`: whole when `columns` is undefined, else at most `columns - 1` wide (the
 * last column would wrap on some terminals): the bar shrinks to BAR_MIN, then the fields that
 * are not kept go, then the line is cut.
 */
export function fitLine(
  state: string,
  percent: number,
  fields: Field[],
  columns: number | undefined,
): string {
  const compose = (shown: Field[], barWidth: number, pad: number) =>
    `${state.padEnd(pad)} [${bar(percent, barWidth)}] ${shown.map((f) => f.text).join("  ")}`;
  if (columns === undefined) return compose(fields, BAR_MAX, 26);
  const limit = Math.max(1, columns - 1);
  let shown = fields;
  for (;;) {
    const rest = compose(shown, 0, 0).length;
    const barWidth = Math.min(BAR_MAX, limit - rest);
    if (barWidth >= BAR_MIN) return compose(shown, barWidth, 0);
    const dropped = shown.findLastIndex((f) => !f.keep);
    if (dropped < 0) return compose(shown, BAR_MIN, 0).slice(0, limit);
    shown = shown.filter((_, i) => i !== dropped);
  }
}

function bar(percent: number, width: number): string {
  const filled = Math.round((percent / 100) * width);
  return `${"#".repeat(filled)}${"-".repeat(width - filled)}`;
}

export const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
