import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProgressLine, type ProgressSample } from "../../../adapters/demo/progress-line.ts";

const sample = (current: number, total: number, substatus = "active"): ProgressSample => ({
  status: "running",
  substatus,
  current,
  total,
  expectedRemainingMs: undefined,
});

describe("ProgressLine", () => {
  it("never shows a lower percentage, even when total-progress rises after a dirty sync", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(1e6), fc.nat(1e6))), (pairs) => {
        const line = new ProgressLine();
        let last = 0;
        for (const [a, b] of pairs) {
          const shown = line.percent(sample(Math.min(a, b), Math.max(a, b)));
          expect(shown).toBeGreaterThanOrEqual(last);
          expect(shown).toBeLessThanOrEqual(99);
          last = shown;
        }
      }),
    );
  });

  it("shows 100% and 'done' only once the migration completed", () => {
    const line = new ProgressLine();
    expect(line.render(sample(50, 100), 0)).toContain(" 50%");
    expect(line.render(sample(200, 400), 1000)).toContain(" 50%");
    expect(line.render(sample(100, 100), 2000)).toContain(" 99%");
    const done = line.render(sample(100, 100, "completed"), 3000);
    expect(done).toContain("100%");
    expect(done).toContain("ETA done");
  });

  it("estimates the time left from the measured rate", () => {
    const line = new ProgressLine();
    line.render(sample(0, 4 * 1024 * 1024), 0);
    const text = line.render(sample(1024 * 1024, 4 * 1024 * 1024), 1000);
    expect(text).toContain("1.0 MiB/s");
    expect(text).toContain("ETA 3.0s");
  });
});
