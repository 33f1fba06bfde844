import { describe, expect, it } from "vitest";
import { firstMismatch, lineMatches, sideBySide } from "../../../adapters/conformance/compare-traces.ts";

describe("trace comparison", () => {
  it("matches equal lines and any listed alternative, nothing else", () => {
    expect(lineMatches("a", "a")).toBe(true);
    expect(lineMatches("a || b", "b")).toBe(true);
    expect(lineMatches("a || b", "c")).toBe(false);
    expect(lineMatches("a", undefined)).toBe(false);
    expect(lineMatches(undefined, undefined)).toBe(true);
  });

  it("finds the first differing line, including a missing or extra one", () => {
    expect(firstMismatch({ title: "t", expected: ["a", "b"], observed: ["a", "b"] })).toBeUndefined();
    expect(firstMismatch({ title: "t", expected: ["a", "b"], observed: ["a", "c"] })).toEqual({
      title: "t",
      at: 1,
    });
    expect(firstMismatch({ title: "t", expected: ["a"], observed: ["a", "x"] })).toEqual({
      title: "t",
      at: 1,
    });
  });

  it("lays expected and observed side by side and marks only differing rows", () => {
    const lines = sideBySide({ title: "source events", expected: ["a", "b"], observed: ["a"] }, 4);
    expect(lines).toEqual(["  source events", "    exp…   observed", "    a      a", "  ≠ b    ≠ —"]);
  });
});
