import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { conditionText, emitStateTables } from "../../codegen/emit-state-tables.ts";
import { GENERATED_NOTICE } from "../../codegen/generated-file.ts";
import type { IfCondition, Schema, StateMachine } from "../../codegen/ir.ts";
import type { MachineTables } from "../../src/state-machine.ts";
import { enumType, expectGolden, schemaOf, toySchema } from "./state-machine-fixtures.ts";

const tmp = mkdtempSync(path.join(tmpdir(), "jobshim-state-tables-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Imports emitted TypeScript the way src/generated/ would hold it. */
async function importEmitted(schema: Schema, tag: string): Promise<Record<string, MachineTables>> {
  const [file] = emitStateTables(schema);
  const target = path.join(tmp, tag, "generated", "state-tables.ts");
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, file?.content ?? "");
  const mod = (await import(pathToFileURL(target).href)) as { stateMachines: Record<string, MachineTables> };
  return mod.stateMachines;
}

describe("emitStateTables", () => {
  it("matches the golden output for the toy schema", () => {
    const files = emitStateTables(toySchema());
    expect(files.map((f) => f.path)).toEqual(["state-tables.ts"]);
    expect(files[0]?.content.startsWith(`// ${GENERATED_NOTICE}\n`)).toBe(true);
    expectGolden("state-tables.ts.golden", files[0]?.content ?? "");
  });

  it("is deterministic", () => {
    expect(emitStateTables(toySchema())).toEqual(emitStateTables(toySchema()));
  });

  it("emits nothing for a schema without state machines", () => {
    expect(emitStateTables(schemaOf([enumType("E", ["a"])], []))).toEqual([]);
  });

  it("emits data that equals the IR: transitions, verb table, maps, and a checked path per transition", async () => {
    const schema = toySchema();
    const emitted = await importEmitted(schema, "toy");
    expect(Object.keys(emitted)).toEqual(["JobStateMachine", "ToyStateMachine"]);
    for (const m of schema.entities.filter((e): e is StateMachine => e.meta === "state-machine")) {
      const tables = emitted[m.name] as MachineTables;
      expect(tables.initial).toBe(m.initial);
      expect(tables.transitions).toEqual(
        Object.fromEntries(Object.entries(m.transitions).map(([from, ts]) => [from, ts.map((t) => t.to)])),
      );
      expect(tables.verbTable).toEqual(m.verbTable);
      expect(tables.refines?.stateMap).toEqual(m.refinement?.stateMap);
      expect(tables.refines?.verbMap).toEqual(m.refinement?.verbMap);
    }
    const toy = emitted.ToyStateMachine as MachineTables;
    expect(toy.refines?.paths.none?.setup).toEqual(["undefined", "created", "running"]);
    expect(toy.refines?.paths.active?.completed).toEqual(["running", "waiting", "pending", "concluded"]);
    expect(toy.refines?.paths.setup?.active).toEqual(["running"]);
    expect(toy.refines?.paths.completed?.none).toEqual(["concluded", "null"]);
  });
});

describe("conditionText", () => {
  it.each([
    ["CONFIG_A", "CONFIG_A"],
    [{ not: "CONFIG_A" }, "not CONFIG_A"],
    [{ all: ["A", { any: ["B", "C"] }] }, "(A and (B or C))"],
    [{ any: ["A"] }, "A"],
  ] as [IfCondition, string][])("renders %j as %s", (cond, text) => {
    expect(conditionText(cond)).toBe(text);
  });
});
