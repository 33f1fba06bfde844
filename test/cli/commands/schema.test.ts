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

const qemu72 = qemuSchemaFile("7.2");
const qemu100 = qemuSchemaFile("10.0");

describe("jobshim schema check", () => {
  it.skipIf(qemu72 === undefined)("accepts QEMU 7.2's whole schema", () => {
    const run = runJobshim(["schema", "check", qemu72 ?? ""]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/: ok \(38 files, .*\d+ command/);
  });

  it.skipIf(qemu100 === undefined)("accepts QEMU 10.0's whole schema in its language (decision 0004)", () => {
    const run = runJobshim(["schema", "check", "--qapi-version", "10.0", qemu100 ?? ""]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/: ok \(43 files, .*240 command, 56 event\)/);
  });

  it.skipIf(qemu100 === undefined)(
    "read as 7.2, QEMU 10.0's schema fails in one located line naming the flag",
    () => {
      const run = runJobshim(["schema", "check", qemu100 ?? ""]);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(
        /pragma\.json:8: unknown pragma 'documentation-exceptions' \(QEMU 10\.0's language: try --qapi-version 10\.0\)\n$/,
      );
    },
  );

  it("refuses a QAPI version it does not know", () => {
    const run = runJobshim(["schema", "check", "--qapi-version", "9.9", "schema/jobshim.json"]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("'9.9' is invalid");
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
