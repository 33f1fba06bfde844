/**
 * The exhaustive checks over the declared state tables, each returning every violation it finds
 * (empty = proven for all rows). They judge the tables only against the literal oracles
 * (test/helpers/qemu-job-tables.ts and ./decision-0001.ts), never through src/state-machine.ts or
 * the codegen's own refinement checker, so a bug there cannot hide a bad table. The mutation test
 * feeds them deliberately wrong tables.
 */
import { loadSchema } from "../../codegen/frontend.ts";
import type { MachineTables } from "../../src/state-machine.ts";
import {
  JOB_STATES,
  JOB_STT,
  JOB_VERB_TABLE,
  JOB_VERBS,
  sttAllows,
  verbTableAllows,
} from "../helpers/qemu-job-tables.ts";
import { qemuSchemaFile } from "../helpers/qemu-sources.ts";
import { DECLARED_STATE_MAP, DECLARED_VERBS, MACHINES, type MigrationMachineName } from "./decision-0001.ts";

export type Tables = Readonly<Record<string, MachineTables>>;

const own = <T>(table: Readonly<Record<string, T>> | undefined, key: string): T | undefined =>
  table !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;

/** The generic machine is QEMU's JobSTT and JobVerbTable, cell by cell. */
export function checkBaseMachine(base: MachineTables | undefined): string[] {
  if (!base) return ["JobStateMachine is missing"];
  const out: string[] = [];
  if (base.states.join() !== JOB_STATES.join()) out.push(`JobStateMachine states ${base.states.join()}`);
  JOB_STATES.forEach((from, i) => {
    JOB_STATES.forEach((to, j) => {
      const declared = own(base.transitions, from)?.includes(to) ?? false;
      if (declared !== (JOB_STT[i]?.[j] === 1))
        out.push(`JobStateMachine ${from} → ${to}: declared ${declared}`);
    });
  });
  for (const verb of JOB_VERBS) {
    JOB_STATES.forEach((state, j) => {
      const declared = own(base.verbTable, verb)?.includes(state) ?? false;
      if (declared !== (JOB_VERB_TABLE[verb]?.[j] === 1))
        out.push(`JobStateMachine verb ${verb} in ${state}: declared ${declared}`);
    });
  }
  return out;
}

/**
 * Every transition of the machine has a path that starts at the source's job status, ends at the
 * target's, and takes only JobSTT steps; no path exists for a transition the machine lacks.
 */
export function checkPaths(m: MachineTables): string[] {
  const out: string[] = [];
  const map = m.refines?.stateMap;
  for (const from of m.states) {
    const targets = own(m.transitions, from) ?? [];
    for (const to of targets) {
      const path = own(own(m.refines?.paths, from), to);
      const where = `${m.name} ${from} → ${to}`;
      if (!path || path.length === 0) {
        out.push(`${where}: no JobSTT path`);
        continue;
      }
      if (path[0] !== own(map, from)) out.push(`${where}: path starts at ${path[0]}, not ${own(map, from)}`);
      if (path.at(-1) !== own(map, to))
        out.push(`${where}: path ends at ${path.at(-1)}, not ${own(map, to)}`);
      for (let i = 1; i < path.length; i++) {
        const [a, b] = [path[i - 1] as string, path[i] as string];
        if (!sttAllows(a, b)) out.push(`${where}: step ${a} → ${b} is not in JobSTT`);
      }
    }
    for (const to of Object.keys(own(m.refines?.paths, from) ?? {}))
      if (!targets.includes(to)) out.push(`${m.name} has a path for ${from} → ${to} but no such transition`);
  }
  return out;
}

/** Each verb accepted in a substatus is accepted by JobVerbTable in that substatus's job status. */
export function checkVerbSubset(m: MachineTables): string[] {
  const out: string[] = [];
  for (const verb of Object.keys(m.verbTable)) {
    const jobVerb = own(m.refines?.verbMap, verb);
    if (!jobVerb || !(JOB_VERBS as readonly string[]).includes(jobVerb)) {
      out.push(`${m.name} verb ${verb} maps to no JobVerb (${jobVerb})`);
      continue;
    }
    for (const state of own(m.verbTable, verb) ?? []) {
      const jobStatus = own(m.refines?.stateMap, state);
      if (typeof jobStatus !== "string" || !verbTableAllows(jobVerb, jobStatus))
        out.push(`${m.name} allows ${verb} in ${state} (${jobStatus}), JobVerbTable does not`);
    }
  }
  return out;
}

/** Every status has a job status; QEMU 7.2's statuses and the newer ones are all states. */
export function checkCoverage(m: MachineTables, statuses: readonly string[]): string[] {
  const out: string[] = [];
  for (const status of statuses) if (!m.states.includes(status)) out.push(`${m.name} lacks status ${status}`);
  for (const state of m.states) {
    const mapped = own(m.refines?.stateMap, state);
    if (typeof mapped !== "string" || !(JOB_STATES as readonly string[]).includes(mapped))
      out.push(`${m.name} maps ${state} to no JobStatus (${mapped})`);
  }
  return out;
}

/** Outcomes QEMU reaches only through aborting (an error or a cancel), and the one it never does. */
const THROUGH_ABORTING = ["failed", "cancelling", "cancelled"];

/**
 * A job fails or is cancelled only through aborting, and completes only without it (QEMU's
 * job_update_rc); JobSTT alone would also accept pending → concluded for a failure.
 */
export function checkOutcomes(m: MachineTables): string[] {
  const out: string[] = [];
  for (const [from, row] of Object.entries(m.refines?.paths ?? {}))
    for (const [to, path] of Object.entries(row)) {
      const aborts = path.includes("aborting");
      if (THROUGH_ABORTING.includes(to) && !aborts)
        out.push(`${m.name} ${from} → ${to} does not pass aborting`);
      if (to === "completed" && aborts) out.push(`${m.name} ${from} → completed passes aborting`);
    }
  return out;
}

/** The mapping and the verb refinement are exactly decision 0001's tables. */
export function checkDeclared(m: MachineTables, name: MigrationMachineName): string[] {
  const out: string[] = [];
  // Decision 0001: the substatus verbs are the JobVerbs themselves.
  for (const verb of JOB_VERBS)
    if (own(m.refines?.verbMap, verb) !== verb)
      out.push(`${name} maps verb ${verb} to ${own(m.refines?.verbMap, verb)}`);
  for (const [state, expected] of Object.entries(DECLARED_STATE_MAP[name])) {
    const mapped = own(m.refines?.stateMap, state);
    if (mapped !== expected) out.push(`${name} maps ${state} to ${mapped}, decision 0001 says ${expected}`);
  }
  for (const [verb, expected] of Object.entries(DECLARED_VERBS[name])) {
    const actual = own(m.verbTable, verb) ?? [];
    const sorted = (list: readonly string[]) => [...list].sort().join(", ");
    if (sorted(actual) !== sorted(expected))
      out.push(`${name} verb ${verb} in [${sorted(actual)}], decision 0001 says [${sorted(expected)}]`);
  }
  return out;
}

/** Every check over every machine. */
export function checkAll(tables: Tables, statuses: readonly string[]): string[] {
  const out = checkBaseMachine(own(tables, "JobStateMachine"));
  for (const name of MACHINES) {
    const m = own(tables, name);
    if (!m) {
      out.push(`${name} is missing`);
      continue;
    }
    if (m.refines?.machine !== "JobStateMachine") out.push(`${name} does not refine JobStateMachine`);
    out.push(
      ...checkPaths(m),
      ...checkVerbSubset(m),
      ...checkCoverage(m, statuses),
      ...checkOutcomes(m),
      ...checkDeclared(m, name),
    );
  }
  return out;
}

/**
 * MigrationStatus as QEMU 7.2's own schema declares it, read from the source cache
 * (scripts/fetch-qemu-sources.sh); undefined, after one loud line, when it was never fetched.
 */
export function qemu72Statuses(): string[] | undefined {
  const schemaFile = qemuSchemaFile("7.2");
  if (schemaFile === undefined) return undefined;
  const schema = loadSchema(schemaFile);
  const entity = schema.lookup("MigrationStatus");
  if (entity?.meta !== "enum") throw new Error("QEMU 7.2's schema has no enum MigrationStatus");
  return entity.members.map((m) => m.name);
}
