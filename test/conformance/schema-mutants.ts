/**
 * Mutants made where a developer would make the mistake: in a copy of schema/ written to a temp
 * dir, one edit of schema/migration-job.json, then the codegen's `loadSchema`. A mutant is killed
 * by the codegen when it refuses the schema, or by the suite's checks on the tables it builds.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { enumValues } from "../../codegen/emit-state-tables.ts";
import { loadSchema } from "../../codegen/frontend.ts";
import type { Schema, StateMachine } from "../../codegen/ir.ts";
import type { MachineTables } from "../../src/state-machine.ts";
import { projectRoot } from "../helpers/paths.ts";
import type { Tables } from "./mapping-checks.ts";

export interface SchemaMutant {
  name: string;
  /** The machine whose definition is edited. */
  machine: string;
  /** Text to find inside that machine's definition (first occurrence) and its replacement. */
  find: string;
  replace: string;
}

export const SCHEMA_MUTANTS: SchemaMutant[] = [
  {
    name: "outgoing active → completed skips via waiting",
    machine: "MigrationJobStateMachine",
    find: "{ 'to': 'completed', 'via': [ 'waiting', 'pending' ] }",
    replace: "{ 'to': 'completed', 'via': [ 'pending' ] }",
  },
  {
    name: "outgoing pre-switchover mapped to ready",
    machine: "MigrationJobStateMachine",
    find: "'pre-switchover': 'pending'",
    replace: "'pre-switchover': 'ready'",
  },
  {
    name: "outgoing postcopy-paused (never entered) mapped to paused",
    machine: "MigrationJobStateMachine",
    find: "'postcopy-paused': 'standby'",
    replace: "'postcopy-paused': 'paused'",
  },
  {
    name: "outgoing finalize also in device",
    machine: "MigrationJobStateMachine",
    find: "'finalize':  [ 'pre-switchover' ]",
    replace: "'finalize':  [ 'pre-switchover', 'device' ]",
  },
  {
    name: "outgoing cancel also in completed",
    machine: "MigrationJobStateMachine",
    find: "'device' ],",
    replace: "'device', 'completed' ],",
  },
  {
    name: "postcopy pre-switchover → cancelling without via ready",
    machine: "MigrationPostcopyJobStateMachine",
    find: "{ 'to': 'cancelling', 'via': [ 'ready' ] }",
    replace: "'cancelling'",
  },
];

/** The tables `emit-state-tables` would emit for the schema, built from its IR. */
export function tablesOf(schema: Schema): Tables {
  const out: Record<string, MachineTables> = {};
  for (const entity of schema.entities) {
    if (entity.meta !== "state-machine") continue;
    out[entity.name] = machineOf(schema, entity);
  }
  return out;
}

function machineOf(schema: Schema, m: StateMachine): MachineTables {
  const r = m.refinement;
  const paths: Record<string, Record<string, string[]>> = {};
  for (const [from, transitions] of Object.entries(m.transitions)) {
    paths[from] = {};
    for (const t of transitions) {
      const [a, b] = [r?.stateMap[from] ?? "", r?.stateMap[t.to] ?? ""];
      (paths[from] as Record<string, string[]>)[t.to] =
        a === b && t.via.length === 0 ? [a] : [a, ...t.via, b];
    }
  }
  return {
    name: m.name,
    states: enumValues(schema, m.states),
    initial: m.initial,
    transitions: Object.fromEntries(Object.entries(m.transitions).map(([s, ts]) => [s, ts.map((t) => t.to)])),
    verbs: enumValues(schema, m.verbs),
    verbTable: m.verbTable,
    refines: r && { machine: r.machine, stateMap: r.stateMap, verbMap: r.verbMap, paths },
  };
}

/**
 * Loads the project's schema with one mutant applied; `refused` is the codegen's error text when
 * it rejects the schema.
 */
export function loadMutant(mutant: SchemaMutant): { refused?: string; tables?: Tables } {
  const dir = mkdtempSync(path.join(tmpdir(), "jobshim-mutant-"));
  try {
    cpSync(path.join(projectRoot, "schema"), dir, { recursive: true });
    const file = path.join(dir, "migration-job.json");
    const text = readFileSync(file, "utf8");
    const start = text.indexOf(`{ 'state-machine': '${mutant.machine}'`);
    const at = text.indexOf(mutant.find, start);
    if (start < 0 || at < 0) throw new Error(`mutant '${mutant.name}': text not found`);
    writeFileSync(file, text.slice(0, at) + mutant.replace + text.slice(at + mutant.find.length));
    try {
      return { tables: tablesOf(loadSchema(path.join(dir, "jobshim.json"))) };
    } catch (error) {
      return { refused: error instanceof Error ? error.message : String(error) };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
