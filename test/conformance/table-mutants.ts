/**
 * Deliberately wrong variants of the generated state tables, built in memory from a deep copy:
 * a status mapped to another job status, a verb permission added or dropped, a via state
 * dropped, a path shortcut, a transition without a path, a verb mapped to another job verb, a
 * cell of the base machine flipped. Systematic (every row gets its mutant), so the count grows
 * with the tables rather than with someone's imagination.
 */
import type { MachineTables } from "../../src/state-machine.ts";
import { JOB_STATES, JOB_VERBS } from "../helpers/qemu-job-tables.ts";
import { MACHINES } from "./decision-0001.ts";
import type { Tables } from "./mapping-checks.ts";

export interface Mutant {
  name: string;
  tables: Tables;
}

/** A writable deep copy of the tables (they are plain JSON data). */
type Mutable = Record<
  string,
  {
    states: string[];
    transitions: Record<string, string[]>;
    verbTable: Record<string, string[]>;
    refines?: {
      stateMap: Record<string, string | null>;
      verbMap: Record<string, string>;
      paths: Record<string, Record<string, string[]>>;
    };
  }
>;

function variant(tables: Tables, name: string, change: (t: Mutable) => void): Mutant {
  const copy = structuredClone(tables) as unknown as Mutable;
  change(copy);
  return { name, tables: copy as unknown as Tables };
}

const other = <T>(list: readonly T[], not: T, offset = 1): T =>
  list[(list.indexOf(not) + offset) % list.length] as T;

function stateMapMutants(tables: Tables, machine: MachineTables): Mutant[] {
  return machine.states.map((state) => {
    const was = machine.refines?.stateMap[state] ?? "created";
    // One step along JobStatus, skipping 'undefined' and 'null' (a plausible slip, not nonsense).
    let to = other(JOB_STATES, was as (typeof JOB_STATES)[number]);
    if (to === "null" || to === "undefined") to = "running";
    if (to === was) to = "paused";
    return variant(tables, `${machine.name}: ${state} mapped to ${to} instead of ${was}`, (t) => {
      const m = t[machine.name]?.refines;
      if (m) m.stateMap[state] = to;
    });
  });
}

function verbMutants(tables: Tables, machine: MachineTables): Mutant[] {
  const out: Mutant[] = [];
  for (const verb of machine.verbs) {
    const row = machine.verbTable[verb] ?? [];
    const extra = machine.states.find((s) => !row.includes(s) && s !== "none");
    if (extra)
      out.push(
        variant(tables, `${machine.name}: ${verb} also allowed in ${extra}`, (t) => {
          t[machine.name]?.verbTable[verb]?.push(extra);
        }),
      );
    const dropped = row[0];
    if (dropped)
      out.push(
        variant(tables, `${machine.name}: ${verb} no longer allowed in ${dropped}`, (t) => {
          const r = t[machine.name]?.verbTable;
          if (r) r[verb] = row.slice(1);
        }),
      );
    const renamed = other(JOB_VERBS, verb as (typeof JOB_VERBS)[number]);
    out.push(
      variant(tables, `${machine.name}: verb ${verb} refines job verb ${renamed}`, (t) => {
        const r = t[machine.name]?.refines;
        if (r) r.verbMap[verb] = renamed;
      }),
    );
  }
  return out;
}

function pathMutants(tables: Tables, machine: MachineTables): Mutant[] {
  const out: Mutant[] = [];
  for (const [from, row] of Object.entries(machine.refines?.paths ?? {})) {
    for (const [to, path] of Object.entries(row)) {
      for (let i = 1; i < path.length - 1; i++) {
        out.push(
          variant(tables, `${machine.name}: ${from} → ${to} skips via ${path[i]}`, (t) => {
            const p = t[machine.name]?.refines?.paths[from];
            if (p) p[to] = path.filter((_, j) => j !== i);
          }),
        );
      }
    }
  }
  // A transition added with no path, and one added with a path JobSTT forbids.
  out.push(
    variant(tables, `${machine.name}: completed → setup added without a path`, (t) => {
      t[machine.name]?.transitions.completed?.push("setup");
    }),
    variant(tables, `${machine.name}: failed → setup added, path concluded → running`, (t) => {
      const m = t[machine.name];
      m?.transitions.failed?.push("setup");
      const paths = m?.refines?.paths;
      if (paths) paths.failed = { ...paths.failed, setup: ["concluded", "running"] };
    }),
    variant(tables, `${machine.name}: a path for a transition it lacks (cancelled → none)`, (t) => {
      const paths = t[machine.name]?.refines?.paths;
      if (paths) paths.cancelled = { ...paths.cancelled, none: ["concluded", "created"] };
    }),
  );
  return out;
}

/** The base machine drifting from QEMU's: one JobSTT cell and one JobVerbTable cell each way. */
function baseMutants(tables: Tables): Mutant[] {
  const flip = (name: string, change: (t: Mutable) => void) =>
    variant(tables, `JobStateMachine: ${name}`, change);
  return [
    flip("pending → ready added", (t) => t.JobStateMachine?.transitions.pending?.push("ready")),
    flip("running → paused removed", (t) => {
      const row = t.JobStateMachine?.transitions;
      if (row) row.running = (row.running ?? []).filter((s) => s !== "paused");
    }),
    flip("cancel allowed in concluded", (t) => t.JobStateMachine?.verbTable.cancel?.push("concluded")),
    flip("finalize no longer allowed in pending", (t) => {
      const row = t.JobStateMachine?.verbTable;
      if (row) row.finalize = [];
    }),
  ];
}

/** Every mutant of the tables. */
export function tableMutants(tables: Tables): Mutant[] {
  const out = baseMutants(tables);
  for (const name of MACHINES) {
    const machine = tables[name];
    if (!machine) continue;
    out.push(
      ...stateMapMutants(tables, machine),
      ...verbMutants(tables, machine),
      ...pathMutants(tables, machine),
    );
  }
  return out;
}
