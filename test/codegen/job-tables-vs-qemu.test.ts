/**
 * schema/job.json's JobStateMachine against QEMU's own tables (job.c of QEMU master), cell by
 * cell. The matrices below are QEMU's literal 0/1 tables and are the independent oracle: they are
 * not derived from our schema.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { emitStateTables } from "../../codegen/emit-state-tables.ts";
import { loadSchema } from "../../codegen/frontend.ts";
import type { Entity, EnumType, Schema, StateMachine } from "../../codegen/ir.ts";
import type { MachineTables } from "../../src/state-machine.ts";
import { projectRoot } from "../helpers/paths.ts";
import {
  JOB_STT,
  JOB_VERB_TABLE,
  JOB_STATES as STATES,
  sttAllows,
  JOB_VERBS as VERBS,
  verbTableAllows,
} from "../helpers/qemu-job-tables.ts";

/** job.json's JobInfo names the migration branch, so the job API is read through the main schema. */
function loadJobSchema(): Schema {
  return loadSchema(path.join(projectRoot, "schema/jobshim.json"));
}

const tmp = mkdtempSync(path.join(tmpdir(), "jobshim-job-tables-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function emittedJobTables(schema: Schema): Promise<MachineTables> {
  const target = path.join(tmp, "generated", "state-tables.ts");
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, emitStateTables(schema)[0]?.content ?? "");
  const mod = (await import(pathToFileURL(target).href)) as { JobStateMachine: MachineTables };
  return mod.JobStateMachine;
}

describe("schema/job.json vs QEMU's job tables", () => {
  const schema = loadJobSchema();
  const machine = schema.lookup("JobStateMachine") as StateMachine;
  const enumValues = (name: string): string[] => (schema.lookup(name) as EnumType).members.map((m) => m.name);

  it("declares QEMU's JobStatus and JobVerb values in QEMU's order", () => {
    expect(enumValues("JobStatus")).toEqual(STATES);
    expect(enumValues("JobVerb")).toEqual(VERBS);
    expect(machine).toMatchObject({ states: "JobStatus", verbs: "JobVerb", initial: "undefined" });
  });

  it("has JobType's QEMU values plus jobshim's migration", () => {
    expect(enumValues("JobType")).toEqual([
      "commit",
      "stream",
      "mirror",
      "backup",
      "create",
      "amend",
      "snapshot-load",
      "snapshot-save",
      "snapshot-delete",
      "migration",
    ]);
  });

  const cells = STATES.flatMap((from, i) => STATES.map((to, j) => [from, to, JOB_STT[i]?.[j]] as const));
  it.each(cells)("JobSTT[%s][%s] = %i in the IR", (from, to, bit) => {
    expect(machine.transitions[from]?.some((t) => t.to === to) ?? false).toBe(bit === 1);
  });

  const verbCells = Object.entries(JOB_VERB_TABLE).flatMap(([verb, row]) =>
    STATES.map((state, j) => [verb, state, row[j]] as const),
  );
  it.each(verbCells)("JobVerbTable[%s][%s] = %i in the IR", (verb, state, bit) => {
    expect(machine.verbTable[verb]?.includes(state) ?? false).toBe(bit === 1);
  });

  it("emits tables equal to QEMU's, cell by cell", async () => {
    const tables = await emittedJobTables(schema);
    expect(tables.states).toEqual(STATES);
    expect(tables.verbs).toEqual(VERBS);
    const stt = STATES.map((from) => STATES.map((to) => (tables.transitions[from]?.includes(to) ? 1 : 0)));
    expect(stt).toEqual(JOB_STT);
    const verbTable = Object.fromEntries(
      Object.keys(JOB_VERB_TABLE).map((verb) => [
        verb,
        STATES.map((state) => (tables.verbTable[verb]?.includes(state) ? 1 : 0)),
      ]),
    );
    expect(verbTable).toEqual(JOB_VERB_TABLE);
  });

  it("documents every definition of job.json with a Since: section", () => {
    const implicit = (x: Entity): boolean => x.meta === "array" || (x.meta === "object" && x.implicit);
    const inJobJson = (x: Entity): boolean =>
      x.info !== undefined && path.basename(x.info.file) === "job.json";
    const defined = schema.entities.filter((x) => inJobJson(x) && !implicit(x));
    expect(defined.map((x) => x.name)).toContain("JobStateMachine");
    for (const e of defined) {
      expect(
        e.doc?.sections.some((s) => s.tag === "Since"),
        e.name,
      ).toBe(true);
    }
  });
});

describe("schema/jobshim.json's refining machines vs QEMU's job tables", () => {
  it("emit only walks made of JobSTT edges and only verbs JobVerbTable allows", async () => {
    const schema = loadSchema(path.join(projectRoot, "schema/jobshim.json"));
    const target = path.join(tmp, "jobshim", "generated", "state-tables.ts");
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, emitStateTables(schema)[0]?.content ?? "");
    const { stateMachines } = (await import(pathToFileURL(target).href)) as {
      stateMachines: Record<string, MachineTables>;
    };
    const refining = Object.values(stateMachines).filter((m) => m.refines?.machine === "JobStateMachine");
    expect(refining.length).toBeGreaterThan(0);
    for (const m of refining) {
      const refines = m.refines as NonNullable<MachineTables["refines"]>;
      for (const [from, targets] of Object.entries(m.transitions)) {
        for (const to of targets) {
          const walk = refines.paths[from]?.[to] ?? [];
          for (let i = 0; i + 1 < walk.length; i++) {
            expect(
              sttAllows(walk[i] as string, walk[i + 1] as string),
              `${m.name} ${from} → ${to}: ${walk}`,
            ).toBe(true);
          }
        }
      }
      for (const [verb, states] of Object.entries(m.verbTable)) {
        const jobVerb = refines.verbMap[verb] as string;
        for (const state of states) {
          const jobState = refines.stateMap[state] as string;
          expect(verbTableAllows(jobVerb, jobState), `${m.name} ${verb} in ${state}`).toBe(true);
        }
      }
    }
  });
});
