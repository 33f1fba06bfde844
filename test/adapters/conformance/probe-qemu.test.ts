import { describe, expect, it } from "vitest";
import { jobTypesOf, probeQemu } from "../../../adapters/conformance/probe-qemu.ts";
import { findQemuBinary } from "../../../adapters/qemu-pair.ts";
import type { JsonObject } from "../../../src/qmp/json-value.ts";
import { migrationSkipReason } from "../../helpers/migration-pair.ts";

const skip = migrationSkipReason();
if (skip) console.warn(`\n*** ${skip} ***\n`);

describe("finding a native migration job type", () => {
  // query-qmp-schema hides type names behind numbers: the search follows query-jobs' types.
  const schema = (values: string[]): JsonObject[] => [
    { name: "query-jobs", "meta-type": "command", "arg-type": "0", "ret-type": "[101]" },
    { name: "[101]", "meta-type": "array", "element-type": "101" },
    {
      name: "101",
      "meta-type": "object",
      members: [
        { name: "id", type: "str" },
        { name: "type", type: "202" },
      ],
    },
    { name: "202", "meta-type": "enum", values },
  ];
  it("reads JobInfo's type values through query-jobs' return type", () => {
    expect(jobTypesOf(schema(["commit", "mirror", "migration"]))).toContain("migration");
    expect(jobTypesOf(schema(["commit", "mirror"]))).not.toContain("migration");
    expect(jobTypesOf([])).toEqual([]);
  });

  it.skipIf(skip !== undefined)("on QEMU 7.2: its version, and no migration job", async () => {
    const identity = await probeQemu(findQemuBinary() as string);
    expect(identity.version).toMatchObject({ qemu: { major: 7, minor: 2 } });
    expect(identity.nativeMigrationJob).toBe(false);
  });

  it("says so when the binary is no QEMU", async () => {
    await expect(probeQemu("/bin/false")).rejects.toThrow(/did not answer QMP/);
  });
});
