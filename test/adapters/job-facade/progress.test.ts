import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProgressTracker } from "../../../adapters/job-facade/progress.ts";

const info = (status: string, transferred: number, remaining: number, syncs: number) => ({
  status,
  ram: { transferred, remaining, "dirty-sync-count": syncs, mbps: 80 },
});

describe("ProgressTracker", () => {
  it("current-progress never decreases whatever QEMU reports", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(1e9), fc.nat(1e9), fc.nat(20)), { minLength: 1 }), (samples) => {
        const tracker = new ProgressTracker({}, 0);
        let last = 0;
        for (const [t, r, s] of samples) {
          tracker.update(info("active", t, r, s), 1);
          const view = tracker.view(true, 1);
          expect(view.current).toBeGreaterThanOrEqual(last);
          expect(view.total).toBeGreaterThanOrEqual(view.current);
          last = view.current;
        }
      }),
    );
  });

  it("total = sent + remaining; on completion total = current", () => {
    const tracker = new ProgressTracker({}, 0);
    tracker.update(info("active", 100, 900, 1), 0);
    expect(tracker.view(true, 0)).toMatchObject({ current: 100, total: 1000 });
    tracker.update(info("completed", 1200, 0, 3), 0);
    expect(tracker.view(false, 0)).toMatchObject({ current: 1200, total: 1200 });
  });

  it("judges convergence from the remaining bytes at successive passes, with an ETA", () => {
    const tracker = new ProgressTracker({}, 0);
    tracker.update(info("active", 100, 1000, 1), 0);
    expect(tracker.view(true, 0).convergence).toBe("unknown");
    tracker.update(info("active", 1000, 500, 2), 0);
    tracker.update(info("active", 1500, 200, 3), 0);
    const view = tracker.view(true, 0);
    expect(view.convergence).toBe("converging");
    expect(view.expectedRemainingMs).toBe(Math.round((200 / 10e6) * 1000));
    tracker.update(info("active", 1700, 400, 4), 0);
    expect(tracker.view(true, 0).convergence).toBe("not-converging");
  });

  it("reports stalled when no byte moved for longer than the threshold", () => {
    const tracker = new ProgressTracker({ stallAfterMs: 1000 }, 0);
    tracker.update(info("active", 100, 900, 1), 0);
    expect(tracker.view(true, 500).convergence).toBe("unknown");
    expect(tracker.view(true, 1500)).toMatchObject({ convergence: "stalled", stalledMs: 1500 });
    expect(tracker.view(false, 1500).stalledMs).toBeUndefined();
  });
});
