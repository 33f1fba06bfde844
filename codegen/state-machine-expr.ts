/**
 * Context-free shape checks of the jobshim `state-machine` expression (docs/state-machines.md).
 * Only the shape is checked here; whether names are states, verbs or machines is decided in
 * state-machine-ir.ts once every definition exists.
 */
import type { QapiObject, QapiValue } from "./ast.ts";
import { checkIf, checkKeys } from "./check-conditions.ts";
import { checkDefinitionName, checkNameIsStr, checkNameLower } from "./check-names.ts";
import { SchemaError, type SourceInfo } from "./source-info.ts";

const REQUIRED_KEYS = ["state-machine", "states", "transitions"];
const OPTIONAL_KEYS = ["initial", "verbs", "verb-table", "refines", "if", "features"];

/** Context-free shape checks of a `state-machine` expression. Throws SchemaError. */
export function checkStateMachineExpression(expr: QapiObject, info: SourceInfo): void {
  const name = expr["state-machine"];
  checkNameIsStr(name, info, "'state-machine'");
  checkDefinitionName(name, info, "state-machine", []);
  checkKeys(expr, info, "state-machine", REQUIRED_KEYS, OPTIONAL_KEYS);
  checkIf(expr, info, "state-machine");
  checkFeatures(expr.features, info);
  for (const key of ["states", "initial", "verbs"]) checkOptionalString(expr[key], info, `'${key}'`);
  checkTransitions(expr.transitions, info);
  checkVerbTable(expr, info);
  if (expr.refines !== undefined) checkRefines(expr.refines, info);
}

function isObject(value: QapiValue | undefined): value is QapiObject {
  return typeof value === "object" && !Array.isArray(value);
}

function checkOptionalString(value: QapiValue | undefined, info: SourceInfo, source: string): void {
  if (value !== undefined && typeof value !== "string")
    throw new SchemaError(info, `${source} must be a string`);
}

function checkObject(value: QapiValue | undefined, info: SourceInfo, source: string): QapiObject {
  if (!isObject(value)) throw new SchemaError(info, `${source} must be an object`);
  return value;
}

function checkStringArray(value: QapiValue | undefined, info: SourceInfo, source: string): void {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw new SchemaError(info, `${source} must be an array of strings`);
  }
}

/** Same rules as QEMU's `features` of any definition: names or `{name, *if}`, lower-case names. */
function checkFeatures(features: QapiValue | undefined, info: SourceInfo): void {
  if (features === undefined) return;
  if (!Array.isArray(features)) throw new SchemaError(info, "'features' must be an array");
  for (const feature of features) {
    const obj: QapiObject = isObject(feature) ? feature : { name: feature };
    checkKeys(obj, info, "'features' member", ["name"], ["if"]);
    checkNameIsStr(obj.name, info, "'features' member");
    const source = `'features' member '${obj.name}'`;
    checkNameLower(obj.name, info, source);
    checkIf(obj, info, source);
  }
}

function checkTransitions(value: QapiValue | undefined, info: SourceInfo): void {
  const transitions = checkObject(value, info, "'transitions'");
  for (const [from, targets] of Object.entries(transitions)) {
    const source = `'transitions' member '${from}'`;
    if (!Array.isArray(targets)) throw new SchemaError(info, `${source} must be an array`);
    for (const target of targets) checkTarget(target, info, source);
  }
}

/** A target is a state name, or `{to, *via, *if}` for a conditional or refined transition. */
function checkTarget(target: QapiValue, info: SourceInfo, row: string): void {
  if (typeof target === "string") return;
  const source = `target of ${row}`;
  if (!isObject(target)) throw new SchemaError(info, `${source} must be a string or an object`);
  checkKeys(target, info, source, ["to"], ["via", "if"]);
  if (typeof target.to !== "string") throw new SchemaError(info, `${source} requires a string 'to'`);
  const named = `target '${target.to}' of ${row}`;
  if (target.via !== undefined) checkStringArray(target.via, info, `'via' of ${named}`);
  checkIf(target, info, named);
}

/** `verbs` and `verb-table` come together: a verb enum without a table would allow nothing. */
function checkVerbTable(expr: QapiObject, info: SourceInfo): void {
  const table = expr["verb-table"];
  if (expr.verbs === undefined && table !== undefined)
    throw new SchemaError(info, "'verb-table' requires 'verbs'");
  if (expr.verbs !== undefined && table === undefined)
    throw new SchemaError(info, "'verbs' requires 'verb-table'");
  if (table === undefined) return;
  for (const [verb, states] of Object.entries(checkObject(table, info, "'verb-table'"))) {
    checkStringArray(states, info, `'verb-table' member '${verb}'`);
  }
}

function checkRefines(value: QapiValue, info: SourceInfo): void {
  const refines = checkObject(value, info, "'refines'");
  checkKeys(refines, info, "'refines'", ["machine", "states"], ["verbs"]);
  checkOptionalString(refines.machine, info, "'machine' of 'refines'");
  // `false` maps a state outside the refined machine (e.g. "no migration" is "no job").
  for (const [state, mapped] of Object.entries(checkObject(refines.states, info, "'states' of 'refines'"))) {
    if (typeof mapped !== "string" && mapped !== false) {
      throw new SchemaError(info, `'states' of 'refines' member '${state}' must be a state name or false`);
    }
  }
  if (refines.verbs === undefined) return;
  for (const [verb, mapped] of Object.entries(checkObject(refines.verbs, info, "'verbs' of 'refines'"))) {
    checkOptionalString(mapped, info, `'verbs' of 'refines' member '${verb}'`);
  }
}
