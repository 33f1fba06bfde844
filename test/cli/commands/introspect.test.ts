import { describe, expect, it } from "vitest";
import { qemuSchemaFile } from "../../helpers/qemu-sources.ts";
import { runJobshim } from "../run-jobshim.ts";

interface SchemaInfoEntry {
  name: string;
  "meta-type": string;
  "ret-type"?: string;
}

// QEMU 7.2's whole schema from the source cache (scripts/fetch-qemu-sources.sh), or undefined.
const qemuSchema = qemuSchemaFile("7.2");

function introspect(args: string[]): SchemaInfoEntry[] {
  const run = runJobshim(["introspect", qemuSchema as string, ...args]);
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout) as SchemaInfoEntry[];
}

describe.skipIf(qemuSchema === undefined)("jobshim introspect over QEMU 7.2's whole schema", () => {
  it("prints query-qmp-schema's form with masked type names", () => {
    const entries = introspect([]);
    const queryStatus = entries.find((e) => e.name === "query-status");
    expect(queryStatus?.["meta-type"]).toBe("command");
    expect(queryStatus?.["ret-type"]).toMatch(/^\d+$/);
  });

  it("keeps real type names with --unmask", () => {
    const entries = introspect(["--unmask"]);
    expect(entries.find((e) => e.name === "query-status")?.["ret-type"]).toBe("StatusInfo");
  });

  it("drops what a config symbol guards when it is not --define'd", () => {
    const withSpice = introspect(["--define", "CONFIG_SPICE"]).map((e) => e.name);
    const without = introspect(["--define", "CONFIG_VNC"]).map((e) => e.name);
    expect(withSpice).toContain("query-spice");
    expect(without).not.toContain("query-spice");
    expect(without).toContain("query-vnc");
  });
});
