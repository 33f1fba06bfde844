/**
 * Property tests of the pure state-machine API. The job tables are written here from QEMU's 0/1
 * matrices (independent of codegen); the refining machine is the toy migration machine of the
 * codegen fixtures, emitted and imported as src/generated/ would hold it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitStateTables } from "../../codegen/emit-state-tables.ts";
import {
  allowed,
  isState,
  type MachineTables,
  refinedPath,
  refinedState,
  transition,
} from "../../src/state-machine.ts";
import { toySchema } from "../codegen/state-machine-fixtures.ts";
import { JOB_VERBS, JOB_STATES as STATES, sttAllows, verbTableAllows } from "../helpers/qemu-job-tables.ts";

const JOB = {
  name: "JobStateMachine",
  states: STATES,
  initial: "undefined",
  transitions: Object.fromEntries(STATES.map((from) => [from, STATES.filter((to) => sttAllows(from, to))])),
  verbs: JOB_VERBS,
  verbTable: Object.fromEntries(
    JOB_VERBS.map((verb) => [verb, STATES.filter((state) => verbTableAllows(verb, state))]),
  ),
  refines: undefined,
} satisfies MachineTables;

let toy: MachineTables;
const tmp = mkdtempSync(path.join(tmpdir(), "jobshim-runtime-"));
beforeAll(async () => {
  const target = path.join(tmp, "generated", "state-tables.ts");
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, emitStateTables(toySchema())[0]?.content ?? "");
  toy = ((await import(pathToFileURL(target).href)) as { ToyStateMachine: MachineTables }).ToyStateMachine;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const jobState = fc.constantFrom(...STATES);
const anyName = fc.oneof(jobState, fc.string());

describe("transition", () => {
  it("accepts exactly QEMU's JobSTT edges", () => {
    fc.assert(
      fc.property(jobState, jobState, (from, to) => {
        const result = transition(JOB, from, to);
        expect(result.ok).toBe(sttAllows(from, to));
      }),
    );
  });

  it("refuses names outside the machine without throwing, and says where it could go", () => {
    fc.assert(
      fc.property(anyName, anyName, (from, to) => {
        const result = transition(JOB as MachineTables, from, to);
        if (!isState(JOB, from) || !isState(JOB, to)) expect(result.ok).toBe(false);
        if (!result.ok && isState(JOB, from)) expect(result.error).toContain(`from '${from}' it may go to`);
      }),
    );
    expect(transition(JOB, "running", "concluded")).toEqual({
      ok: false,
      error:
        "'JobStateMachine' does not allow 'running' → 'concluded'; from 'running' it may go to " +
        "'paused', 'ready', 'waiting', 'aborting'",
    });
  });
});

describe("names that are properties of every object", () => {
  it("are not mistaken for states or verbs", () => {
    expect(allowed(JOB as MachineTables, "toString", "running")).toBe(false);
    expect(transition(JOB as MachineTables, "constructor", "running").ok).toBe(false);
    expect(refinedPath(toy, "toString", "name")).toBeUndefined();
    expect(refinedState(toy, "__proto__")).toBeUndefined();
  });
});

describe("allowed", () => {
  it("agrees with QEMU's JobVerbTable, and refuses unknown verbs and states", () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...JOB.verbs), fc.string()), anyName, (verb, state) => {
        expect(allowed(JOB as MachineTables, verb, state)).toBe(verbTableAllows(verb, state));
      }),
    );
  });
});

describe("a refining machine", () => {
  /** A random walk through the toy machine: each number picks one of the current state's targets. */
  const walks = fc.array(fc.nat(), { maxLength: 40 });
  function walk(choices: number[]): [string, string][] {
    const steps: [string, string][] = [];
    let state = "none";
    for (const c of choices) {
      const targets = toy.transitions[state] ?? [];
      const next = targets[c % Math.max(targets.length, 1)];
      if (next === undefined) break;
      steps.push([state, next]);
      state = next;
    }
    return steps;
  }

  it("maps every accepted transition to a path of legal job transitions, glued end to start", () => {
    fc.assert(
      fc.property(walks, (choices) => {
        let jobAt: string | null = null;
        for (const [from, to] of walk(choices)) {
          expect(transition(toy, from, to).ok).toBe(true);
          const p = refinedPath(toy, from, to) ?? [];
          for (let i = 0; i + 1 < p.length; i++) {
            expect(transition(JOB as MachineTables, p[i] as string, p[i + 1] as string).ok).toBe(true);
          }
          // The path starts where the job is (or at the initial state when there is no job yet) ...
          if (p.length > 0) expect(p[0]).toBe(jobAt ?? JOB.initial);
          // ... and ends where the own target state maps to.
          const mapped = refinedState(toy, to) ?? null;
          if (mapped !== null) expect(p.at(-1)).toBe(mapped);
          jobAt = mapped;
        }
      }),
    );
  });

  it("has no path for a transition it does not allow", () => {
    fc.assert(
      fc.property(fc.constantFrom(...toy.states), fc.constantFrom(...toy.states), (from, to) => {
        expect(refinedPath(toy, from, to) !== undefined).toBe(transition(toy, from, to).ok);
      }),
    );
  });

  it("only takes verb permissions away from the refined machine", () => {
    fc.assert(
      fc.property(fc.constantFrom(...toy.verbs), fc.constantFrom(...toy.states), (verb, state) => {
        if (!allowed(toy, verb, state)) return;
        const jobState = refinedState(toy, state);
        expect(jobState).not.toBeNull();
        expect(allowed(JOB as MachineTables, toy.refines?.verbMap[verb] ?? "", jobState ?? "")).toBe(true);
      }),
    );
  });
});
