import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { qemuSchemaFile } from "../../helpers/qemu-sources.ts";
import { runJobshim } from "../run-jobshim.ts";

const dir = mkdtempSync(path.join(tmpdir(), "jobshim-schema-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function schemaFile(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

// QEMU 7.2's whole schema from the source cache (scripts/fetch-qemu-sources.sh), or undefined.
const qemuSchema = qemuSchemaFile("7.2");

describe("jobshim schema check", () => {
  it.skipIf(qemuSchema === undefined)("accepts QEMU 7.2's whole schema", () => {
    const run = runJobshim(["schema", "check", qemuSchema as string]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/: ok \(38 files, .*\d+ command/);
  });

  it("accepts the project's own schema", () => {
    const run = runJobshim(["schema", "check", "schema/jobshim.json"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("state-machine");
  });

  it("rejects a syntax error with FILE:LINE:COL and exit 1", () => {
    const file = schemaFile("syntax.json", "{ 'command' 'x' }\n");
    const run = runJobshim(["schema", "check", file], dir);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe("syntax.json:1:13: expected ':'\n".replace("syntax.json", file));
  });

  it("names the definition and the include chain for an error in an included file", () => {
    schemaFile("inner.json", "{ 'struct': 'Foo',\n  'data': { 'a': 'Missing' } }\n");
    schemaFile("main.json", "{ 'include': 'inner.json' }\n{ 'command': 'c', 'data': 'Foo' }\n");
    const run = runJobshim(["schema", "check", "main.json"], dir);
    expect(run.status).toBe(1);
    expect(run.stderr.split("\n")).toEqual([
      "In file included from main.json:1:",
      "inner.json: In struct 'Foo':",
      "inner.json:1:1: member 'a' uses unknown type 'Missing'",
      "",
    ]);
  });

  it("reports a missing file in one line", () => {
    const run = runJobshim(["schema", "check", path.join(dir, "nope.json")]);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain("nope.json");
  });
});
