import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { distIsFresh, hasSources, STAMP_FILE, sourceHash } from "../../bin/dist-stamp.js";

// A miniature source tree in a temp dir, stamped as the build stamps dist/.
let root: string;
const write = (relative: string, text: string) => {
  mkdirSync(join(root, relative, ".."), { recursive: true });
  writeFileSync(join(root, relative), text);
};
const stamp = () => write(STAMP_FILE, `${sourceHash(root)}\n`);

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "jobshim-dist-stamp-"));
  write("tsconfig.json", "{}");
  write("tsconfig.build.json", "{}");
  for (const dir of ["src", "codegen", "adapters"]) write(`${dir}/a.ts`, `export const a = "${dir}";\n`);
  write("cli/main.ts", "export {};\n");
  write("src/qmp/deep.ts", "export const deep = 1;\n");
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("distIsFresh", () => {
  it("is true right after stamping and false without a stamp", () => {
    expect(distIsFresh(root)).toBe(false);
    stamp();
    expect(distIsFresh(root)).toBe(true);
  });

  it("sees an edit even when the mtime is put back", () => {
    stamp();
    write("src/qmp/deep.ts", "export const deep = 2;\n");
    utimesSync(join(root, "src/qmp/deep.ts"), new Date(0), new Date(0));
    expect(distIsFresh(root)).toBe(false);
  });

  it("sees a file added, a file removed, and a tsconfig change", () => {
    stamp();
    write("cli/new.ts", "");
    expect(distIsFresh(root)).toBe(false);
    rmSync(join(root, "cli/new.ts"));
    expect(distIsFresh(root)).toBe(true);
    rmSync(join(root, "codegen/a.ts"));
    expect(distIsFresh(root)).toBe(false);
    write("codegen/a.ts", 'export const a = "codegen";\n');
    write("tsconfig.build.json", '{"x":1}');
    expect(distIsFresh(root)).toBe(false);
  });

  it("tells a file's content from its name (moving bytes between files changes the hash)", () => {
    write("src/b.ts", "");
    const before = sourceHash(root);
    write("src/a.ts", "");
    write("src/b.ts", 'export const a = "src";\n');
    expect(sourceHash(root)).not.toBe(before);
  });

  it("is false when a source directory is missing", () => {
    stamp();
    rmSync(join(root, "adapters"), { recursive: true });
    expect(distIsFresh(root)).toBe(false);
  });
});

describe("hasSources", () => {
  it("is true in a checkout and false in an installed package (dist only)", () => {
    expect(hasSources(root)).toBe(true);
    rmSync(join(root, "cli"), { recursive: true });
    expect(hasSources(root)).toBe(false);
  });
});
