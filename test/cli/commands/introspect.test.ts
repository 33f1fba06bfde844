import path from "node:path";
import { describe, expect, it } from "vitest";
import { qemuShared } from "../../helpers/paths.ts";
import { runJobshim } from "../run-jobshim.ts";

interface SchemaInfoEntry {
  name: string;
  "meta-type": string;
  "ret-type"?: string;
}

const qemuSchema = path.join(qemuShared, "qapi/qapi-schema.json");

function introspect(args: string[]): SchemaInfoEntry[] {
  const run = runJobshim(["introspect", qemuSchema, ...args]);
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout) as SchemaInfoEntry[];
}

describe("jobshim introspect", () => {
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
