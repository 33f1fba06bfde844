import { describe, expect, it } from "vitest";
import type { QapiObject } from "../../codegen/ast.ts";
import type { StateMachine } from "../../codegen/ir.ts";
import { SchemaError } from "../../codegen/source-info.ts";
import { checkStateMachineExpression } from "../../codegen/state-machine-expr.ts";
import { buildStateMachine } from "../../codegen/state-machine-ir.ts";
import {
  enumType,
  infoAt,
  JOB_STATUS,
  JOB_VERB,
  jobMachineExpr,
  schemaOf,
  TOY_STATUS,
  toyMachineExpr,
  toySchema,
} from "./state-machine-fixtures.ts";

/** The SchemaError `f` throws (failing the test if it throws nothing or something else). */
function schemaError(f: () => unknown): SchemaError {
  try {
    f();
  } catch (err) {
    if (err instanceof SchemaError) return err;
    throw err;
  }
  throw new Error("expected a SchemaError, nothing was thrown");
}

const edit = (f: (e: QapiObject) => void) => (): QapiObject => {
  const expr = structuredClone(jobMachineExpr());
  f(expr);
  return expr;
};

describe("checkStateMachineExpression (shape)", () => {
  const good: [string, () => QapiObject][] = [
    ["QEMU's job machine", jobMachineExpr],
    ["the toy refining machine", toyMachineExpr],
    [
      "no verbs",
      edit((e) => {
        delete e.verbs;
        delete e["verb-table"];
      }),
    ],
    ["conditional target", edit((e) => (e.transitions = { a: [{ to: "b", if: { not: "CONFIG_X" } }] }))],
    [
      "features and if",
      edit((e) => {
        e.features = ["unstable", { name: "f", if: "CONFIG_F" }];
        e.if = "CONFIG_M";
      }),
    ],
  ];
  it.each(good)("accepts %s", (_name, make) => {
    expect(() => checkStateMachineExpression(make(), infoAt(1))).not.toThrow();
  });

  const bad: [string, () => QapiObject, string][] = [
    [
      "a non-string name",
      edit((e) => (e["state-machine"] = ["x"])),
      "'state-machine' requires a string name",
    ],
    [
      "a lower-case name",
      edit((e) => (e["state-machine"] = "job-machine")),
      "name of state-machine must use CamelCase",
    ],
    [
      "a List name",
      edit((e) => (e["state-machine"] = "JobList")),
      "state-machine name should not end in 'List'",
    ],
    ["missing transitions", edit((e) => delete e.transitions), "state-machine misses key 'transitions'"],
    [
      "unknown keys",
      edit((e) => {
        e.bogus = "x";
        e.phony = "y";
      }),
      "state-machine has unknown keys 'bogus', 'phony'\nValid keys are 'features', 'if', 'initial', 'refines', " +
        "'state-machine', 'states', 'transitions', 'verb-table', 'verbs'.",
    ],
    ["non-string states", edit((e) => (e.states = ["JobStatus"])), "'states' must be a string"],
    ["non-string initial", edit((e) => (e.initial = true)), "'initial' must be a string"],
    ["array transitions", edit((e) => (e.transitions = [])), "'transitions' must be an object"],
    ["a string row", edit((e) => (e.transitions = { a: "b" })), "'transitions' member 'a' must be an array"],
    [
      "a boolean target",
      edit((e) => (e.transitions = { a: [true] })),
      "target of 'transitions' member 'a' must be a string or an object",
    ],
    [
      "a target without 'to'",
      edit((e) => (e.transitions = { a: [{ via: [] }] })),
      "target of 'transitions' member 'a' misses key 'to'",
    ],
    [
      "a target with an unknown key",
      edit((e) => (e.transitions = { a: [{ to: "b", over: [] }] })),
      "target of 'transitions' member 'a' has unknown key 'over'\nValid keys are 'if', 'to', 'via'.",
    ],
    [
      "a non-string 'to'",
      edit((e) => (e.transitions = { a: [{ to: ["b"] }] })),
      "target of 'transitions' member 'a' requires a string 'to'",
    ],
    [
      "a string 'via'",
      edit((e) => (e.transitions = { a: [{ to: "b", via: "c" }] })),
      "'via' of target 'b' of 'transitions' member 'a' must be an array of strings",
    ],
    [
      "a bad target condition",
      edit((e) => (e.transitions = { a: [{ to: "b", if: "lower" }] })),
      "'if' condition 'lower' of target 'b' of 'transitions' member 'a' is not a valid identifier",
    ],
    ["verb-table without verbs", edit((e) => delete e.verbs), "'verb-table' requires 'verbs'"],
    ["verbs without verb-table", edit((e) => delete e["verb-table"]), "'verbs' requires 'verb-table'"],
    [
      "a verb row of objects",
      edit((e) => (e["verb-table"] = { cancel: [{}] })),
      "'verb-table' member 'cancel' must be an array of strings",
    ],
    ["string refines", edit((e) => (e.refines = "JobStateMachine")), "'refines' must be an object"],
    ["refines without states", edit((e) => (e.refines = { machine: "M" })), "'refines' misses key 'states'"],
    [
      "refines with unknown keys",
      edit((e) => (e.refines = { machine: "M", states: {}, extends: true })),
      "'refines' has unknown key 'extends'\nValid keys are 'machine', 'states', 'verbs'.",
    ],
    [
      "a state mapped to true",
      edit((e) => (e.refines = { machine: "M", states: { a: true } })),
      "'states' of 'refines' member 'a' must be a state name or false",
    ],
    [
      "a verb mapped to a list",
      edit((e) => (e.refines = { machine: "M", states: {}, verbs: { cancel: ["cancel"] } })),
      "'verbs' of 'refines' member 'cancel' must be a string",
    ],
    ["features not an array", edit((e) => (e.features = "unstable")), "'features' must be an array"],
    [
      "a feature with an upper-case name",
      edit((e) => (e.features = ["Unstable"])),
      "name of 'features' member 'Unstable' must not use uppercase or '_'",
    ],
    [
      "a machine condition with two keys",
      edit((e) => (e.if = { all: ["A"], any: ["B"] })),
      "'if' condition of state-machine has conflicting keys",
    ],
  ];
  it.each(bad)("rejects %s", (_name, make, message) => {
    const err = schemaError(() => checkStateMachineExpression(make(), infoAt(7)));
    expect(err.bareMessage).toBe(message);
    expect(err.message).toBe(`test.json: In state-machine 'M':\ntest.json:7: ${message}`);
  });
});

describe("buildStateMachine", () => {
  it("turns targets, via, conditions, the outside marker and features into the IR", () => {
    const expr = toyMachineExpr();
    expr.features = ["unstable"];
    const m = buildStateMachine(expr, infoAt(3), undefined);
    expect(m).toMatchObject({
      meta: "state-machine",
      name: "ToyStateMachine",
      states: "ToyStatus",
      verbs: "JobVerb",
    });
    expect(m.initial).toBeUndefined();
    expect(m.transitions.none).toEqual([{ to: "setup", via: ["created"], if: undefined }]);
    expect(m.transitions.active?.[4]).toEqual({ to: "failed", via: ["aborting"], if: "CONFIG_TOY_FAIL" });
    expect(m.refinement?.stateMap.none).toBeNull();
    expect(m.refinement?.stateMap.setup).toBe("running");
    expect(m.refinement?.verbMap).toEqual({});
    expect(m.features.map((f) => f.name)).toEqual(["unstable"]);
  });
});

describe("checkStateMachine (resolution)", () => {
  it("accepts the toy refinement and fills in the identity verb map", () => {
    const toy = toySchema().lookup("ToyStateMachine") as StateMachine;
    expect(toy.refinement?.verbMap).toEqual(Object.fromEntries(JOB_VERB.map((v) => [v, v])));
  });

  it("puts rows and verb-table states into enum order", () => {
    const job = jobMachineExpr();
    const transitions = job.transitions as QapiObject;
    job.transitions = Object.fromEntries(Object.entries(transitions).reverse());
    (job["verb-table"] as QapiObject).cancel = [
      "pending",
      "created",
      "running",
      "paused",
      "ready",
      "standby",
      "waiting",
    ];
    const m = toySchema(toyMachineExpr(), job).lookup("JobStateMachine") as StateMachine;
    expect(Object.keys(m.transitions)).toEqual([...JOB_STATUS]);
    expect(m.verbTable.cancel).toEqual([
      "created",
      "running",
      "paused",
      "ready",
      "standby",
      "waiting",
      "pending",
    ]);
  });

  const toyEdit = (f: (toy: QapiObject, job: QapiObject) => void) => (): unknown => {
    const toy = toyMachineExpr();
    const job = jobMachineExpr();
    f(toy, job);
    return toySchema(toy, job);
  };
  const rows = (e: QapiObject): QapiObject => e.transitions as QapiObject;
  const verbRows = (e: QapiObject): QapiObject => e["verb-table"] as QapiObject;
  const refines = (e: QapiObject): QapiObject => e.refines as QapiObject;
  const mapOf = (e: QapiObject): QapiObject => refines(e).states as QapiObject;
  const jobStates =
    "'undefined', 'created', 'running', 'paused', 'ready', 'standby', 'waiting', 'pending', 'aborting', 'concluded', 'null'";

  const bad: [string, () => unknown, string][] = [
    ["unknown states enum", toyEdit((_t, j) => (j.states = "Nope")), "'states' uses unknown type 'Nope'"],
    [
      "states that are not an enum",
      toyEdit((_t, j) => (j.states = "ToyStateMachine")),
      "'states' requires an enum type, state machine 'ToyStateMachine' isn't",
    ],
    [
      "an unknown initial state",
      toyEdit((_t, j) => (j.initial = "start")),
      `'initial' uses unknown state 'start'\nValid states are ${jobStates}.`,
    ],
    [
      "an unknown row",
      toyEdit((_t, j) => (rows(j).bogus = [])),
      `'transitions' uses unknown state 'bogus'\nValid states are ${jobStates}.`,
    ],
    [
      "missing rows",
      toyEdit((_t, j) => {
        delete rows(j).paused;
        delete rows(j).null;
      }),
      "'transitions' misses states 'paused', 'null'",
    ],
    [
      "an unknown target",
      toyEdit((_t, j) => (rows(j).paused = ["runing"])),
      `transition 'paused' → 'runing' uses unknown state 'runing'\nValid states are ${jobStates}.`,
    ],
    [
      "a duplicate target",
      toyEdit((_t, j) => (rows(j).paused = ["running", "running"])),
      "transition 'paused' → 'running' is listed twice",
    ],
    [
      "via outside a refinement",
      toyEdit((_t, j) => (rows(j).paused = [{ to: "running", via: ["ready"] }])),
      "transition 'paused' → 'running' has 'via', but 'JobStateMachine' refines no machine",
    ],
    [
      "a missing verb row",
      toyEdit((_t, j) => delete verbRows(j).change),
      "'verb-table' misses verb 'change'",
    ],
    [
      "an unknown verb",
      toyEdit((_t, j) => (verbRows(j).stop = [])),
      "'verb-table' uses unknown verb 'stop'\nValid verbs are 'cancel', 'pause', 'resume', 'set-speed', " +
        "'complete', 'dismiss', 'finalize', 'change'.",
    ],
    [
      "a verb allowed twice in a state",
      toyEdit((_t, j) => (verbRows(j).dismiss = ["concluded", "concluded"])),
      "'verb-table' member 'dismiss' lists state 'concluded' twice",
    ],
    [
      "an unknown refined machine",
      toyEdit((t) => (refines(t).machine = "JobMachine")),
      "'refines' uses unknown state machine 'JobMachine'",
    ],
    [
      "refining an enum",
      toyEdit((t) => (refines(t).machine = "JobStatus")),
      "'refines' requires a state machine, enum type 'JobStatus' isn't",
    ],
    [
      "refining itself",
      toyEdit((t) => (refines(t).machine = "ToyStateMachine")),
      "state machine 'ToyStateMachine' refines itself",
    ],
    [
      "a refinement cycle",
      toyEdit((_t, j) => {
        j.refines = { machine: "ToyStateMachine", states: {} };
      }),
      "refinement cycle 'JobStateMachine' → 'ToyStateMachine' → 'JobStateMachine'",
    ],
    [
      "an unmapped own state",
      toyEdit((t) => delete mapOf(t).device),
      "'states' of 'refines' misses state 'device'",
    ],
    [
      "a state mapped to an unknown refined state",
      toyEdit((t) => (mapOf(t).device = "sending")),
      `'states' of 'refines' member 'device' uses unknown state 'sending'\nValid states are ${jobStates}.`,
    ],
    [
      "an unknown via state",
      toyEdit((t) => (rows(t).device = [{ to: "completed", via: ["finalizing"] }])),
      `'via' of transition 'device' → 'completed' uses unknown state 'finalizing'\nValid states are ${jobStates}.`,
    ],
    [
      "pre-switchover → postcopy-active (the documented example)",
      toyEdit((t) => (rows(t)["pre-switchover"] = ["device", "cancelling", "postcopy-active"])),
      "transition 'pre-switchover' → 'postcopy-active' maps to 'pending' → 'ready', which 'JobStateMachine' does not allow",
    ],
    [
      "an illegal step inside a via path",
      toyEdit((t) => (rows(t)["postcopy-active"] = [{ to: "completed", via: ["pending"] }])),
      "transition 'postcopy-active' → 'completed' maps to 'ready' → 'pending' → 'concluded', " +
        "which 'JobStateMachine' does not allow (at 'ready' → 'pending')",
    ],
    [
      "a missing via path",
      toyEdit((t) => (rows(t).active = ["completed"])),
      "transition 'active' → 'completed' maps to 'running' → 'concluded', which 'JobStateMachine' does not allow",
    ],
    [
      "entering past 'created'",
      toyEdit((t) => (rows(t).none = ["setup"])),
      "transition 'none' → 'setup' maps to 'undefined' → 'running', which 'JobStateMachine' does not allow",
    ],
    [
      "entering a machine without an initial state",
      toyEdit((_t, j) => delete j.initial),
      "transition 'none' → 'setup' enters 'JobStateMachine', which has no 'initial' state to enter from",
    ],
    [
      "leaving from a state that is not final",
      toyEdit((t) => (rows(t).completed = ["none"])),
      "transition 'completed' → 'none' leaves 'JobStateMachine' from 'concluded', which is not a final state there",
    ],
    [
      "a verb the refined machine refuses",
      toyEdit((t) => (verbRows(t).cancel = ["setup", "active", "pre-switchover", "cancelling"])),
      "verb 'cancel' is allowed in 'cancelling', which maps to 'aborting', but 'JobStateMachine' does not allow 'cancel' there",
    ],
    [
      "a verb allowed outside the refined machine",
      toyEdit((t) => (verbRows(t).cancel = ["none"])),
      "verb 'cancel' is allowed in 'none', which is outside 'JobStateMachine'",
    ],
    [
      "identity verbs when the refined machine has none",
      toyEdit((_t, j) => {
        delete j.verbs;
        delete j["verb-table"];
      }),
      "'refines' needs 'verbs': 'ToyStateMachine' uses verb enum 'JobVerb', but 'JobStateMachine' uses none",
    ],
    [
      "a verb map missing a verb",
      toyEdit((t) => (refines(t).verbs = { cancel: "cancel" })),
      "'verbs' of 'refines' misses verbs 'pause', 'resume', 'set-speed', 'complete', 'dismiss', 'finalize', 'change'",
    ],
    [
      "a verb mapped to an unknown verb",
      toyEdit(
        (t) => (refines(t).verbs = { ...Object.fromEntries(JOB_VERB.map((v) => [v, v])), change: "tune" }),
      ),
      "'verbs' of 'refines' member 'change' uses unknown verb 'tune'\nValid verbs are 'cancel', 'pause', 'resume', " +
        "'set-speed', 'complete', 'dismiss', 'finalize', 'change'.",
    ],
  ];
  it.each(bad)("rejects %s", (_name, run, message) => {
    expect(schemaError(run).bareMessage).toBe(message);
  });

  it("reports an error of the refined machine, located there, before the refinement's", () => {
    const job = jobMachineExpr();
    delete (job.transitions as QapiObject).null;
    // The toy machine comes first here, so resolving it must resolve the job machine first.
    const err = schemaError(() =>
      schemaOf(
        [enumType("JobStatus", JOB_STATUS), enumType("JobVerb", JOB_VERB), enumType("ToyStatus", TOY_STATUS)],
        [toyMachineExpr(), job],
      ),
    );
    expect(err.message).toBe(
      "test.json: In state-machine 'JobStateMachine':\ntest.json:2: 'transitions' misses state 'null'",
    );
  });

  it("notices a missing row named like an Object.prototype member", () => {
    const expr = { "state-machine": "ProtoMachine", states: "Proto", transitions: { a: ["a"] } };
    expect(schemaError(() => schemaOf([enumType("Proto", ["a", "constructor"])], [expr])).bareMessage).toBe(
      "'transitions' misses state 'constructor'",
    );
  });

  it("maps verbs through an explicit verb map", () => {
    const toy = toyMachineExpr();
    toy.verbs = "ToyVerb";
    toy["verb-table"] = { "migrate-cancel": ["setup", "active"], "migrate-continue": ["pre-switchover"] };
    (toy.refines as QapiObject).verbs = { "migrate-cancel": "cancel", "migrate-continue": "finalize" };
    const enums = [
      enumType("JobStatus", JOB_STATUS),
      enumType("JobVerb", JOB_VERB),
      enumType("ToyStatus", TOY_STATUS),
      enumType("ToyVerb", ["migrate-cancel", "migrate-continue"]),
    ];
    const m = schemaOf(enums, [jobMachineExpr(), toy]).lookup("ToyStateMachine") as StateMachine;
    expect(m.refinement?.verbMap).toEqual({ "migrate-cancel": "cancel", "migrate-continue": "finalize" });
    (toy["verb-table"] as QapiObject)["migrate-continue"] = ["active"];
    expect(schemaError(() => schemaOf(enums, [jobMachineExpr(), toy])).bareMessage).toBe(
      "verb 'migrate-continue' is allowed in 'active', which maps to 'running', but 'JobStateMachine' does not allow 'finalize' there",
    );
  });
});
