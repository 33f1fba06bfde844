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

  it("estimates the time left from the measured rate, once it has measured for 2 s", () => {
    const line = new ProgressLine();
    expect(line.render(sample(0, 4 * 1024 * 1024), 0)).toContain("ETA --");
    const early = line.render(sample(1024 * 1024, 4 * 1024 * 1024), 1000);
    expect(early).toContain("1.0 MiB/s");
    expect(early).toContain("ETA --");
    const settled = line.render(sample(2 * 1024 * 1024, 4 * 1024 * 1024), 2000);
    expect(settled).toContain("ETA 2.0s");
  });

  it("says what was sent, not '0.0 MiB of ~0.0 MiB', before the first size report", () => {
    const text = new ProgressLine().render(sample(0, 0), 0);
    expect(text).toContain("0.0 MiB sent");
    expect(text).not.toContain(" of ~");
  });

  it("fits any terminal width, so a redraw never wraps; keeps percent, ETA and the last word", () => {
    fc.assert(
      fc.property(fc.integer({ min: 20, max: 250 }), fc.nat(1e9), fc.nat(1e9), (columns, a, b) => {
        const line = new ProgressLine();
        const text = line.render(sample(Math.min(a, b), Math.max(a, b)), 5000, {
          columns,
          trailer: "NOT CONVERGING",
        });
        expect(text.length).toBeLessThan(columns);
        if (columns >= 80) {
          expect(text).toMatch(/\d%/);
          expect(text).toContain("ETA");
          expect(text).toContain("NOT CONVERGING");
        }
      }),
    );
    const wide = new ProgressLine().render(sample(50, 100), 0, { columns: 200 });
    expect(wide).toMatch(/\[[#-]{30}\]/);
  });

  it("at 80 columns keeps the bar and drops the least useful numbers first", () => {
    const line = new ProgressLine();
    const text = line.render(sample(40 * 1024 * 1024, 128 * 1024 * 1024), 0, {
      columns: 80,
      trailer: "converging",
    });
    expect(text.length).toBeLessThanOrEqual(79);
    expect(text).toMatch(/^running\/active \[[#-]{10,30}\] {2}31% {2}40\.0 MiB of ~128\.0 MiB/);
    expect(text.endsWith("converging")).toBe(true);
  });
});
