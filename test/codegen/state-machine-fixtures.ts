/**
 * Test-only: hand-built schemas with state machines, made without the parser or the checker so
 * the state-machine tests depend on nothing but state-machine-expr.ts and state-machine-ir.ts.
 * The job machine is QEMU's; the "toy migration" machine refines it the way a migration job would.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import type { QapiObject } from "../../codegen/ast.ts";
import type { EnumType, Schema, StateMachine } from "../../codegen/ir.ts";
import { SourceInfo } from "../../codegen/source-info.ts";
import { checkStateMachineExpression } from "../../codegen/state-machine-expr.ts";
import { buildStateMachine, checkStateMachine } from "../../codegen/state-machine-ir.ts";
import { JOB_STATES as JOB_STATUS, JOB_VERBS as JOB_VERB } from "../helpers/qemu-job-tables.ts";

export function infoAt(line: number, name = "M"): SourceInfo {
  const info = new SourceInfo("test.json", line, undefined, undefined);
  info.setDefinition("state-machine", name);
  return info;
}

export function enumType(name: string, values: readonly string[]): EnumType {
  return {
    meta: "enum",
    name,
    info: undefined,
    if: undefined,
    features: [],
    doc: undefined,
    prefix: undefined,
    members: values.map((v) => ({ name: v, if: undefined, features: [], info: undefined })),
  };
}

export function machineFrom(expr: QapiObject, line = 1): StateMachine {
  const info = infoAt(line, expr["state-machine"] as string);
  checkStateMachineExpression(expr, info);
  return buildStateMachine(expr, info, undefined);
}

/** A Schema over the given enums and machine expressions; machines are resolved in order. */
export function schemaOf(enums: EnumType[], machineExprs: QapiObject[]): Schema {
  const machines = machineExprs.map((expr, i) => machineFrom(expr, i + 1));
  const entities = [...enums, ...machines];
  const schema: Schema = {
    entities,
    lookup: (name) => entities.find((e) => e.name === name),
    lookupType: (name) => {
      const e = entities.find((x) => x.name === name);
      if (e?.meta !== "enum") throw new Error(`${name} is not a type here`);
      return e;
    },
    freeDocs: [],
    files: ["test.json"],
  };
  for (const m of machines) checkStateMachine(m, schema);
  return schema;
}

export { JOB_STATUS, JOB_VERB };
export const TOY_STATUS = [
  "none",
  "setup",
  "active",
  "pre-switchover",
  "device",
  "postcopy-active",
  "completed",
  "cancelling",
  "cancelled",
  "failed",
] as const;

export function jobMachineExpr(): QapiObject {
  return {
    "state-machine": "JobStateMachine",
    states: "JobStatus",
    initial: "undefined",
    transitions: {
      undefined: ["created"],
      created: ["running", "aborting", "null"],
      running: ["paused", "ready", "waiting", "aborting"],
      paused: ["running"],
      ready: ["standby", "waiting", "aborting"],
      standby: ["ready"],
      waiting: ["pending", "aborting"],
      pending: ["aborting", "concluded"],
      aborting: ["aborting", "concluded"],
      concluded: ["null"],
      null: [],
    },
    verbs: "JobVerb",
    "verb-table": {
      cancel: ["created", "running", "paused", "ready", "standby", "waiting", "pending"],
      pause: ["created", "running", "paused", "ready", "standby"],
      resume: ["created", "running", "paused", "ready", "standby"],
      "set-speed": ["created", "running", "paused", "ready", "standby"],
      complete: ["ready", "standby"],
      dismiss: ["concluded"],
      finalize: ["pending"],
      change: ["created", "running", "paused", "ready", "standby"],
    },
  };
}

/** A migration-like machine refining the job machine; `none` is outside it (no job). */
export function toyMachineExpr(): QapiObject {
  return {
    "state-machine": "ToyStateMachine",
    states: "ToyStatus",
    transitions: {
      none: [{ to: "setup", via: ["created"] }],
      setup: ["active", "cancelling", { to: "failed", via: ["aborting"] }],
      active: [
        { to: "pre-switchover", via: ["waiting"] },
        "postcopy-active",
        { to: "completed", via: ["waiting", "pending"] },
        "cancelling",
        { to: "failed", via: ["aborting"], if: "CONFIG_TOY_FAIL" },
      ],
      "pre-switchover": ["device", "cancelling"],
      device: ["completed"],
      "postcopy-active": [{ to: "completed", via: ["waiting", "pending"] }],
      completed: [{ to: "none", via: ["null"] }],
      cancelling: ["cancelled"],
      cancelled: [{ to: "none", via: ["null"] }],
      failed: [{ to: "none", via: ["null"] }],
    },
    verbs: "JobVerb",
    "verb-table": {
      cancel: ["setup", "active", "pre-switchover"],
      pause: [],
      resume: [],
      "set-speed": ["setup", "active"],
      complete: ["postcopy-active"],
      dismiss: ["completed", "cancelled", "failed"],
      finalize: ["pre-switchover"],
      change: ["setup", "active"],
    },
    refines: {
      machine: "JobStateMachine",
      states: {
        none: false,
        setup: "running",
        active: "running",
        "pre-switchover": "pending",
        device: "pending",
        "postcopy-active": "ready",
        completed: "concluded",
        cancelling: "aborting",
        cancelled: "concluded",
        failed: "concluded",
      },
    },
  };
}

export function toySchema(toy: QapiObject = toyMachineExpr(), job: QapiObject = jobMachineExpr()): Schema {
  return schemaOf(
    [enumType("JobStatus", JOB_STATUS), enumType("JobVerb", JOB_VERB), enumType("ToyStatus", TOY_STATUS)],
    [job, toy],
  );
}

const goldenDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/state-machines");

/** Compares with the golden file; `UPDATE_GOLDEN=1` rewrites it (then review the diff). */
export function expectGolden(name: string, content: string): void {
  const file = path.join(goldenDir, name);
  if (process.env.UPDATE_GOLDEN) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  expect(content).toBe(readFileSync(file, "utf8"));
}
