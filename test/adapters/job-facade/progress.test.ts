import { readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Convergence, judge, passesToSwitchover } from "../../../adapters/job-facade/convergence.ts";
import { ProgressTracker } from "../../../adapters/job-facade/progress.ts";
import type { JsonObject } from "../../../src/qmp/json-value.ts";

const MB = 1e6;
/** 16 MiB/s as QEMU reports it in ram.mbps. */
const MBPS_16MIB = (16 * 1024 * 1024 * 8) / 1e6;

const info = (
  status: string,
  transferred: number,
  remaining: number,
  syncs: number,
  dirtyPages = 0,
  mbps = 80,
) => ({
  status,
  ram: {
    transferred,
    remaining,
    "dirty-sync-count": syncs,
    "dirty-pages-rate": dirtyPages,
    mbps,
    "page-size": 4096,
  },
});

interface Recorded {
  recorded: string;
  samples: ({ t: number } & JsonObject)[];
}
const recorded = (name: string): Recorded =>
  JSON.parse(readFileSync(path.join(import.meta.dirname, "progress-series", `${name}.json`), "utf8"));

/** Feeds a series and returns every view, one per sample. */
function replay(samples: readonly ({ t: number } & JsonObject)[]) {
  const tracker = new ProgressTracker({}, 0);
  return samples.map((sample) => {
    tracker.update(sample, sample.t);
    return tracker.view(sample.status !== "completed", sample.t);
  });
}

/**
 * A synthetic precopy migration: each pass sends what the last sync left at `bandwidth`, the guest
 * dirties `q · bandwidth` meanwhile (never more than its working set); QEMU's numbers carry
 * multiplicative noise of ±`noise`.
 */
function synthetic(q: number, noises: readonly number[], workingSet = 40 * MB, bandwidth = 16 * MB) {
  const samples: ({ t: number } & JsonObject)[] = [];
  let sent = 0;
  let remaining = 64 * MB;
  let t = 0;
  noises.forEach((noise, i) => {
    sent += remaining;
    t += (remaining / bandwidth) * 1000;
    const dirtied = Math.min(workingSet, q * remaining);
    remaining = dirtied * (1 + noise);
    const dirtyPages = Math.round(((q * bandwidth) / 4096) * (1 - noise));
    samples.push({
      t,
      ...info("active", sent, remaining, i + 2, dirtyPages, (bandwidth * 8 * (1 + noise)) / 1e6),
    });
  });
  return samples;
}

describe("ProgressTracker: counters", () => {
  it("current-progress never decreases and current ≤ total, whatever QEMU reports", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.nat(1e9),
            fc.nat(1e9),
            fc.nat(20),
            fc.nat(1e5),
            fc.constantFrom("active", "setup", "postcopy-active", "completed", "failed"),
          ),
          {
            minLength: 1,
          },
        ),
        (samples) => {
          const tracker = new ProgressTracker({}, 0);
          let last = 0;
          samples.forEach(([t, r, s, d, status], i) => {
            tracker.update(info(status, t, r, s, d), i * 500);
            const view = tracker.view(true, i * 500);
            expect(view.current).toBeGreaterThanOrEqual(last);
            expect(view.total).toBeGreaterThanOrEqual(view.current);
            const ratio = view.total > 0 ? view.current / view.total : 0;
            expect(ratio).toBeGreaterThanOrEqual(0);
            expect(ratio).toBeLessThanOrEqual(1);
            last = view.current;
          });
        },
      ),
    );
  });

  it("total = sent + remaining; on completion total = current", () => {
    const tracker = new ProgressTracker({}, 0);
    tracker.update(info("active", 100, 900, 1), 0);
    expect(tracker.view(true, 0)).toMatchObject({ current: 100, total: 1000 });
    tracker.update(info("completed", 1200, 0, 3), 0);
    expect(tracker.view(false, 0)).toMatchObject({ current: 1200, total: 1200, convergence: "converging" });
  });

  it("reports stalled when no byte moved for longer than the threshold, but not while waiting in pre-switchover", () => {
    const tracker = new ProgressTracker({ stallAfterMs: 1000 }, 0);
    tracker.update(info("active", 100, 900, 1), 0);
    expect(tracker.view(true, 500).convergence).toBe("unknown");
    expect(tracker.view(true, 1500)).toMatchObject({ convergence: "stalled", stalledMs: 1500 });
    expect(tracker.view(false, 1500).stalledMs).toBeUndefined();
    tracker.update(info("pre-switchover", 100, 0, 4), 1600);
    expect(tracker.view(true, 60_000)).toMatchObject({ convergence: "converging", stalledMs: undefined });
  });
});

describe("ProgressTracker: the verdict on recorded QEMU 7.2 migrations (test-guest)", () => {
  it("converging series: unknown during the first passes, then converging with an ETA, never not-converging", () => {
    const views = replay(recorded("converging").samples);
    expect(views.some((v) => v.convergence === "not-converging")).toBe(false);
    const judged = views.filter((v) => v.convergence === "converging" && v.passes >= 3);
    expect(judged.length).toBeGreaterThan(0);
    expect(judged[0]?.expectedRemainingMs).toBeGreaterThan(0);
    expect(views.slice(0, 3).every((v) => v.convergence === "unknown")).toBe(true);
  });

  it("not-converging series: not-converging from the third pass on (about 3 s in), never converging", () => {
    const { samples } = recorded("not-converging");
    const views = replay(samples);
    expect(views.some((v) => v.convergence === "converging")).toBe(false);
    const first = views.findIndex((v) => v.convergence === "not-converging");
    expect(first).toBeGreaterThan(0);
    expect(samples[first]?.t).toBeLessThan(4000);
    expect(views.slice(first).every((v) => v.convergence === "not-converging")).toBe(true);
    expect(views.at(-1)?.expectedRemainingMs).toBeUndefined();
    // Dirty rate close to the bandwidth: the inputs of the verdict are shown too.
    const last = views.at(-1);
    expect(last?.dirtyRate).toBeGreaterThan(0.9 * (last?.throughput ?? 0));
  });
});

describe("the verdict is stable under noise (synthetic series)", () => {
  const noises = fc.array(fc.double({ min: -0.25, max: 0.25, noNaN: true }), { minLength: 3, maxLength: 30 });

  it("q = dirty-rate / bandwidth ≤ 0.4: converging at every judged pass", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.4, noNaN: true }), noises, (q, noise) => {
        const views = replay(synthetic(q, noise));
        for (const view of views) expect(view.convergence).not.toBe("not-converging");
        expect(views.at(-1)?.convergence).toBe("converging");
      }),
    );
  });

  // The noise moves the measured dirty rate and bandwidth in opposite directions, so ±25% can make a
  // true q of 1.3 read as 0.78 for a pass or two: a real dip below 1, not noise the verdict must
  // ignore. ±10% keeps the measured q above 1.06, which is what "stable under noise" promises.
  const smallNoises = fc.array(fc.double({ min: -0.1, max: 0.1, noNaN: true }), {
    minLength: 3,
    maxLength: 30,
  });

  it("q ≥ 1.3 with a working set beyond the downtime budget: not-converging at every judged pass", () => {
    fc.assert(
      fc.property(fc.double({ min: 1.3, max: 4, noNaN: true }), smallNoises, (q, noise) => {
        const views = replay(synthetic(q, noise));
        for (const view of views) expect(view.convergence).not.toBe("converging");
        expect(views.at(-1)?.convergence).toBe("not-converging");
      }),
    );
  });

  it("a dirty rate above the bandwidth still converges when the working set fits in the downtime", () => {
    // 16 MB/s × 300 ms = 4.8 MB of budget; a 2 MB working set is always under it.
    const views = replay(synthetic(3, [0, 0.1, -0.1, 0.05], 2 * MB));
    expect(views.at(-1)?.convergence).toBe("converging");
  });

  it("hysteresis: a verdict only flips when the projection crosses well past the boundary", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.5, max: 1.5, noNaN: true }), { minLength: 2, maxLength: 40 }),
        (ratios) => {
          let verdict: Convergence = "unknown";
          for (const q of ratios) {
            const passes = [{ remaining: 40 * MB, dirtyRate: q * 16 * MB, bandwidth: 16 * MB }];
            const next: Convergence = judge(verdict, passes, 300).convergence;
            const left = passesToSwitchover(40 * MB, 4.8 * MB, q);
            if (verdict === "converging" && next === "not-converging") expect(left).toBeGreaterThan(12);
            if (verdict === "not-converging" && next === "converging") expect(left).toBeLessThanOrEqual(6);
            verdict = next;
          }
        },
      ),
    );
  });
});

describe("the downtime limit and bandwidth enter the verdict", () => {
  const DIRTY_09 = Math.round((0.9 * 16 * 1024 * 1024) / 4096);
  const borderline = () => {
    const tracker = new ProgressTracker({}, 0);
    // 20 MB left after each sync, the guest dirties 0.9 of the bandwidth: ~22 passes at 300 ms.
    for (let pass = 2; pass <= 5; pass++)
      tracker.update(info("active", pass * 20 * MB, 20 * MB, pass, DIRTY_09, MBPS_16MIB), pass);
    return tracker;
  };

  it("not converging at the default 300 ms, converging once the downtime limit is raised", () => {
    expect(borderline().view(true, 5).convergence).toBe("not-converging");
    const tracker = new ProgressTracker({}, 0);
    tracker.setDowntimeLimit(1500);
    for (let pass = 2; pass <= 5; pass++)
      tracker.update(info("active", pass * 20 * MB, 20 * MB, pass, DIRTY_09, MBPS_16MIB), pass);
    expect(tracker.view(true, 5)).toMatchObject({ convergence: "converging", downtimeLimitMs: 1500 });
  });

  it("postcopy-active is converging by construction, ETA = remaining / throughput", () => {
    const tracker = borderline();
    tracker.update(info("postcopy-active", 200 * MB, 8 * MB, 6, 0, 64), 6);
    const view = tracker.view(true, 6);
    expect(view.convergence).toBe("converging");
    expect(view.expectedRemainingMs).toBe(Math.round(((8 * MB) / (view.throughput ?? 0)) * 1000));
  });
});
