import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { syncOutput } from "../../codegen/write-output.ts";

describe("syncOutput", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "jobshim-out-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const files = [
    { path: "a.ts", content: "export const a = 1;\n" },
    { path: "sub/b.json", content: "{}\n" },
  ];

  it("writes missing files and reports them as changed", () => {
    expect(syncOutput(dir, files, { check: false })).toEqual({
      changed: ["a.ts", "sub/b.json"],
      obsolete: [],
    });
    expect(readFileSync(join(dir, "sub/b.json"), "utf8")).toBe("{}\n");
  });

  it("leaves unchanged files untouched (same mtime)", () => {
    syncOutput(dir, files, { check: false });
    const before = statSync(join(dir, "a.ts")).mtimeMs;
    const again = syncOutput(dir, files, { check: false });
    expect(again).toEqual({ changed: [], obsolete: [] });
    expect(statSync(join(dir, "a.ts")).mtimeMs).toBe(before);
  });

  it("in check mode reports stale and obsolete files and writes nothing", () => {
    syncOutput(dir, files, { check: false });
    writeFileSync(join(dir, "a.ts"), "edited by hand\n");
    writeFileSync(join(dir, "left-over.ts"), "old\n");
    expect(syncOutput(dir, files, { check: true })).toEqual({
      changed: ["a.ts"],
      obsolete: ["left-over.ts"],
    });
    expect(readFileSync(join(dir, "a.ts"), "utf8")).toBe("edited by hand\n");
  });

  it("removes obsolete files when writing", () => {
    writeFileSync(join(dir, "left-over.ts"), "old\n");
    syncOutput(dir, files, { check: false });
    expect(() => statSync(join(dir, "left-over.ts"))).toThrow();
  });
});
