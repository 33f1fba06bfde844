import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GENERATED_NOTICE } from "../../codegen/generated-file.ts";
import { MANIFEST_FILE, OutputConflictError, syncOutput } from "../../codegen/write-output.ts";

describe("syncOutput", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "jobshim-out-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const files = [
    { path: "a.ts", content: `// ${GENERATED_NOTICE}\nexport const a = 1;\n` },
    { path: "sub/b.json", content: "{}\n" },
  ];
  const read = (path: string) => readFileSync(join(dir, path), "utf8");
  const exists = (path: string) => {
    try {
      statSync(join(dir, path));
      return true;
    } catch {
      return false;
    }
  };

  it("writes missing files, and a manifest naming the one that cannot carry the notice", () => {
    expect(syncOutput(dir, files, { check: false })).toEqual({
      files: 3,
      changed: ["a.ts", "sub/b.json", MANIFEST_FILE],
      obsolete: [],
      kept: [],
    });
    expect(read("sub/b.json")).toBe("{}\n");
    const manifest = read(MANIFEST_FILE).split("\n");
    expect(manifest[0]).toBe(`# ${GENERATED_NOTICE}`);
    expect(manifest.filter((line) => line !== "" && !line.startsWith("#"))).toEqual(["sub/b.json"]);
  });

  it("leaves unchanged files untouched (same mtime)", () => {
    syncOutput(dir, files, { check: false });
    const before = statSync(join(dir, "a.ts")).mtimeMs;
    const again = syncOutput(dir, files, { check: false });
    expect(again).toEqual({ files: 3, changed: [], obsolete: [], kept: [] });
    expect(statSync(join(dir, "a.ts")).mtimeMs).toBe(before);
  });

  it("in check mode reports stale and obsolete generated files and writes nothing", () => {
    syncOutput(dir, files, { check: false });
    writeFileSync(join(dir, "a.ts"), `// ${GENERATED_NOTICE}\nedited by hand\n`);
    writeFileSync(join(dir, "left-over.ts"), `// ${GENERATED_NOTICE}\nold\n`);
    expect(syncOutput(dir, files, { check: true })).toEqual({
      files: 3,
      changed: ["a.ts"],
      obsolete: ["left-over.ts"],
      kept: [],
    });
    expect(read("a.ts")).toBe(`// ${GENERATED_NOTICE}\nedited by hand\n`);
    expect(exists("left-over.ts")).toBe(true);
  });

  it("removes obsolete generated files when writing, in any comment syntax", () => {
    writeFileSync(join(dir, "left-over.ts"), `// ${GENERATED_NOTICE}\nold\n`);
    writeFileSync(join(dir, "left-over.mmd"), `%% ${GENERATED_NOTICE}\nold\n`);
    const report = syncOutput(dir, files, { check: false });
    expect(report.obsolete.sort()).toEqual(["left-over.mmd", "left-over.ts"]);
    expect(exists("left-over.ts")).toBe(false);
    expect(exists("left-over.mmd")).toBe(false);
  });

  it("removes an obsolete JSON file only because the previous run's manifest lists it", () => {
    syncOutput(dir, files, { check: false });
    const report = syncOutput(dir, files.slice(0, 1), { check: false });
    expect(report.obsolete).toEqual(["sub/b.json"]);
    expect(exists("sub/b.json")).toBe(false);
    expect(read(MANIFEST_FILE)).not.toContain("sub/b.json");
  });

  it("keeps the user's files elsewhere in the directory and reports them", () => {
    writeFileSync(join(dir, "notes.md"), "mine\n");
    writeFileSync(
      join(dir, "helper.ts"),
      `// my own helper, mentions the notice later\n// ${GENERATED_NOTICE}`,
    );
    writeFileSync(join(dir, "data.json"), "[1]\n");
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "sub/c.ts"), "export const c = 3;\n");
    const report = syncOutput(dir, files, { check: false });
    expect(report.kept.sort()).toEqual(["data.json", "helper.ts", "notes.md", "sub/c.ts"]);
    expect(report.obsolete).toEqual([]);
    expect(read("notes.md")).toBe("mine\n");
    expect(read("data.json")).toBe("[1]\n");
    expect(read("sub/c.ts")).toBe("export const c = 3;\n");
  });

  it("refuses to overwrite a file of the user's in the way of an output, before writing anything", () => {
    writeFileSync(join(dir, "a.ts"), "export const mine = true;\n");
    expect(() => syncOutput(dir, files, { check: false })).toThrow(OutputConflictError);
    expect(() => syncOutput(dir, files, { check: true })).toThrow(/a\.ts: not written by jobshim codegen/);
    expect(read("a.ts")).toBe("export const mine = true;\n");
    expect(exists("sub/b.json")).toBe(false);
    expect(exists(MANIFEST_FILE)).toBe(false);
  });

  it("refuses a hand-written JSON file where a generated one goes when no manifest lists it", () => {
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "sub/b.json"), '{"mine":true}\n');
    expect(() => syncOutput(dir, files, { check: false })).toThrow(/sub\/b\.json: not written/);
    expect(read("sub/b.json")).toBe('{"mine":true}\n');
  });

  it("accepts a file whose content already is the output, whoever wrote it", () => {
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "sub/b.json"), "{}\n");
    expect(syncOutput(dir, files, { check: false }).changed).toEqual(["a.ts", MANIFEST_FILE]);
  });

  it("treats a directory or a symlink in the way as not ours, and never follows a symlink", () => {
    mkdirSync(join(dir, "a.ts"));
    expect(() => syncOutput(dir, files, { check: false })).toThrow(OutputConflictError);
    rmSync(join(dir, "a.ts"), { recursive: true });
    const elsewhere = mkdtempSync(join(tmpdir(), "jobshim-elsewhere-"));
    try {
      writeFileSync(join(elsewhere, "g.ts"), `// ${GENERATED_NOTICE}\n`);
      symlinkSync(join(elsewhere, "g.ts"), join(dir, "link.ts"));
      expect(syncOutput(dir, files, { check: false }).kept).toEqual(["link.ts"]);
      expect(readFileSync(join(elsewhere, "g.ts"), "utf8")).toBe(`// ${GENERATED_NOTICE}\n`);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
