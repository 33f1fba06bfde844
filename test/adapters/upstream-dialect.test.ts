import { describe, expect, it } from "vitest";
import type { SchemaInfo } from "../../adapters/introspection/schema-reader.ts";
import { dialectOf, speaksStatus } from "../../adapters/upstream-dialect.ts";

/** A masked introspection answer as QEMU gives it: types named by numbers. */
function schema(statuses: string[], migrateArgs: string[]): SchemaInfo[] {
  return [
    { name: "query-migrate", "meta-type": "command", "arg-type": "0", "ret-type": "10" },
    { name: "10", "meta-type": "object", members: [{ name: "status", type: "11", default: null }] },
    { name: "11", "meta-type": "enum", values: statuses },
    { name: "migrate", "meta-type": "command", "arg-type": "12", "ret-type": "0" },
    { name: "12", "meta-type": "object", members: migrateArgs.map((name) => ({ name, type: "str" })) },
    { name: "migrate-set-capabilities", "meta-type": "command", "arg-type": "13", "ret-type": "0" },
    { name: "13", "meta-type": "object", members: [{ name: "capabilities", type: "[14]" }] },
    { name: "[14]", "meta-type": "array", "element-type": "14" },
    { name: "14", "meta-type": "object", members: [{ name: "capability", type: "15" }] },
    { name: "15", "meta-type": "enum", values: ["events", "postcopy-ram"] },
  ];
}

describe("the upstream dialect", () => {
  it("reads statuses, migrate's arguments and the capabilities from the schema", () => {
    const d = dialectOf(
      { major: 10, minor: 0, micro: 2 },
      schema(["none", "postcopy-recover-setup"], ["uri", "channels"]),
    );
    expect(d.migrationStatuses).toEqual(["none", "postcopy-recover-setup"]);
    expect(d.migrateArguments).toEqual(["uri", "channels"]);
    expect(d.incomingArguments).toBeUndefined();
    expect(d.capabilities).toEqual(["events", "postcopy-ram"]);
    expect(speaksStatus(d, "postcopy-recover-setup")).toBe(true);
    expect(speaksStatus(d, "postcopy-device")).toBe(false);
  });

  it("speaks every status when the schema does not say", () => {
    expect(speaksStatus(dialectOf(undefined, undefined), "anything")).toBe(true);
  });

  it("keeps 7.2's ungated incoming setup below 10.0 and without a version, not from 10.0 on", () => {
    const behaviour = (major: number | undefined) =>
      dialectOf(major === undefined ? undefined : { major, minor: 0, micro: 0 }, undefined).behaviour;
    expect(behaviour(7).incomingSetupIgnoresEvents).toBe(true);
    expect(behaviour(undefined).incomingSetupIgnoresEvents).toBe(true);
    expect(behaviour(10).incomingSetupIgnoresEvents).toBe(false);
    expect([behaviour(7).listeningReportsSetup, behaviour(10).listeningReportsSetup]).toEqual([false, true]);
  });
});
