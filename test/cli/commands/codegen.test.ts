import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { qemuSchemaFile } from "../../helpers/qemu-sources.ts";
import { runJobshim } from "../run-jobshim.ts";

const out = mkdtempSync(path.join(tmpdir(), "jobshim-codegen-cli-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));
// QEMU 7.2's whole schema from the source cache (scripts/fetch-qemu-sources.sh), or undefined.
const qemuSchema = qemuSchemaFile("7.2");

describe("jobshim codegen", () => {
  it("reports the project's src/generated as up to date", () => {
    const run = runJobshim(["codegen", "--check"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/up to date \(\d+ files\)/);
  });

  it("refuses --schema without --out", () => {
    const run = runJobshim(["codegen", "--schema", "schema/jobshim.json"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe("jobshim: --schema needs --out DIR\n");
  });
});

describe.skipIf(qemuSchema === undefined)("jobshim codegen over QEMU 7.2's whole schema", () => {
  const schema = qemuSchema as string;

  it("generates a user's schema (QEMU's whole one) into --out, then finds it up to date", () => {
    const first = runJobshim(["codegen", "--schema", schema, "--out", out]);
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(
      expect.arrayContaining(["introspection.json", "json-schemas.ts", "registry.ts", "types.ts"]),
    );
    const again = runJobshim(["codegen", "--schema", schema, "--out", out, "--check"]);
    expect(again.status).toBe(0);
  });

  it("--check fails in one line naming the stale file, and writes nothing", () => {
    writeFileSync(path.join(out, "registry.ts"), "// edited by hand\n");
    const run = runJobshim(["codegen", "--schema", schema, "--out", out, "--check"]);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain("registry.ts");
    const fixed = runJobshim(["codegen", "--schema", schema, "--out", out]);
    expect(fixed.stdout).toContain("1 written");
  });
});
