import { describe, expect, it } from "vitest";
import {
  before,
  linesFor,
  POSTCOPY_SWITCH,
  PRECOPY_TO_COMPLETED,
  queryStatusLines,
  since,
} from "../../../adapters/conformance/catalogue/version-lines.ts";

const V72 = { major: 7, minor: 2 };
const V100 = { major: 10, minor: 0 };

describe("per-version lines of the expected job traces", () => {
  it("keeps unmarked lines for every version and marked ones only inside their range", () => {
    const lines = ["a", since("10.0", "new"), before("10.0", "old"), "b"];
    expect(linesFor(lines, V72)).toEqual(["a", "old", "b"]);
    expect(linesFor(lines, V100)).toEqual(["a", "new", "b"]);
    expect(linesFor(lines, { major: 9, minor: 2 })).toEqual(["a", "old", "b"]);
    expect(linesFor(lines, { major: 11, minor: 0 })).toEqual(["a", "new", "b"]);
  });

  it("writes out what each QEMU was measured to report", () => {
    expect(linesFor(PRECOPY_TO_COMPLETED, V72)).toEqual([
      "status waiting",
      "status pending",
      "status concluded",
      "sub completed",
    ]);
    expect(linesFor(PRECOPY_TO_COMPLETED, V100)).toEqual([
      "status waiting",
      "status pending",
      "sub device",
      "status concluded",
      "sub completed",
    ]);
    expect(linesFor(POSTCOPY_SWITCH, V72)).toEqual(["sub postcopy-active"]);
    expect(linesFor(POSTCOPY_SWITCH, V100)).toEqual(["sub device", "sub postcopy-active"]);
    expect(linesFor(queryStatusLines(true, "running"), V72)).toEqual([
      'ok query-status {"running":true,"singlestep":false,"status":"running"}',
    ]);
    expect(linesFor(queryStatusLines(true, "running"), V100)).toEqual([
      'ok query-status {"running":true,"status":"running"}',
    ]);
  });
});
