/**
 * The mutation test (issue 6, "Must show"): deliberately wrong mapping rows and verb refinements
 * must each be caught by the suite's checks (mapping-checks.ts). In-memory mutants of the
 * generated tables, plus mutants of schema/migration-job.json run through the codegen's
 * loadSchema. Prints "N of M mutants killed"; there are no equivalent mutants, so N = M.
 */
import { afterAll, describe, expect, it } from "vitest";
import * as generated from "../../src/generated/state-tables.ts";
import { NEWER_STATUSES } from "./decision-0001.ts";
import { checkAll, qemu72Statuses, type Tables } from "./mapping-checks.ts";
import { loadMutant, SCHEMA_MUTANTS } from "./schema-mutants.ts";
import { tableMutants } from "./table-mutants.ts";

// The checks judge coverage against QEMU 7.2's own MigrationStatus, so without QEMU's sources
// the suite's checks are incomplete and the mutation test cannot say what they catch.
const qemuStatuses = qemu72Statuses();
const statuses = [...(qemuStatuses ?? []), ...NEWER_STATUSES];
const caught = (tables: Tables) => checkAll(tables, statuses);
const total = { killed: 0, mutants: 0 };

describe.skipIf(qemuStatuses === undefined)("mutation test of the mapping tables", () => {
  afterAll(() => console.log(`mutation test: ${total.killed} of ${total.mutants} mutants killed`));

  it("the unmutated tables pass (so a kill means the mutation was seen)", () => {
    expect(caught(generated.stateMachines)).toEqual([]);
  });

  it("kills every in-memory mutant of the generated tables", () => {
    const mutants = tableMutants(generated.stateMachines);
    const survivors = mutants.filter((m) => caught(m.tables).length === 0).map((m) => m.name);
    console.log(`table mutants: ${mutants.length - survivors.length} of ${mutants.length} mutants killed`);
    total.killed += mutants.length - survivors.length;
    total.mutants += mutants.length;
    expect(mutants.length).toBeGreaterThanOrEqual(30);
    expect(survivors).toEqual([]);
  });

  it("kills every schema mutant, through the codegen or through the checks", () => {
    const rows = SCHEMA_MUTANTS.map((mutant) => {
      const { refused, tables } = loadMutant(mutant);
      const found = tables ? caught(tables) : [];
      const by = refused ? "codegen" : found.length > 0 ? "checks" : "SURVIVED";
      return { name: mutant.name, by, why: (refused ?? found[0] ?? "").split("\n").at(-1) };
    });
    for (const row of rows) console.log(`  ${row.by.padEnd(8)} ${row.name}: ${row.why}`);
    const killed = rows.filter((r) => r.by !== "SURVIVED").length;
    console.log(`schema mutants: ${killed} of ${rows.length} mutants killed`);
    total.killed += killed;
    total.mutants += rows.length;
    expect(rows.filter((r) => r.by === "SURVIVED")).toEqual([]);
  });

  it("building tables from the unmutated schema's IR gives the generated tables", () => {
    // Guards tablesOf: schema mutants are judged on what the emitter would have produced.
    const { tables } = loadMutant({
      name: "none",
      machine: "MigrationJobStateMachine",
      find: "",
      replace: "",
    });
    expect(JSON.parse(JSON.stringify(tables))).toEqual(JSON.parse(JSON.stringify(generated.stateMachines)));
  });
});
