/**
 * Shape of `if` conditions: a config symbol (`CONFIG_FOO`), or an object with exactly one of
 * `all` / `any` (non-empty arrays of conditions) or `not` (one condition).
 */
import type { QapiObject, QapiValue } from "./ast.ts";
import type { IfCondition } from "./ir.ts";
import { SchemaError, type SourceInfo } from "./source-info.ts";

/** Checks the `if` member of `holder` (if any); `source` describes the holder for messages. */
export function checkIf(holder: QapiObject, info: SourceInfo, source: string): void {
  const cond = holder.if;
  if (cond !== undefined) checkCondition(cond, info, source);
}

function checkCondition(cond: QapiValue, info: SourceInfo, source: string): void {
  if (typeof cond === "string") {
    if (!/^[A-Z][A-Z0-9_]*$/.test(cond)) {
      throw new SchemaError(info, `'if' condition '${cond}' of ${source} is not a valid identifier`);
    }
    return;
  }
  if (typeof cond !== "object" || Array.isArray(cond)) {
    throw new SchemaError(info, `'if' condition of ${source} must be a string or an object`);
  }
  checkKeys(cond, info, `'if' condition of ${source}`, [], ["all", "any", "not"]);
  const keys = Object.keys(cond);
  if (keys.length !== 1) throw new SchemaError(info, `'if' condition of ${source} has conflicting keys`);
  if (cond.not !== undefined) checkCondition(cond.not, info, source);
  else if (cond.all !== undefined) checkOperands("all", cond.all, info, source);
  else if (cond.any !== undefined) checkOperands("any", cond.any, info, source);
}

function checkOperands(operator: string, operands: QapiValue, info: SourceInfo, source: string): void {
  if (!Array.isArray(operands)) {
    throw new SchemaError(info, `'${operator}' condition of ${source} must be an array`);
  }
  if (operands.length === 0) throw new SchemaError(info, `'if' condition [] of ${source} is useless`);
  for (const operand of operands) checkCondition(operand, info, source);
}

/** Converts a checked condition to the IR form. */
export function toIfCondition(cond: QapiValue | undefined): IfCondition | undefined {
  if (cond === undefined) return undefined;
  if (typeof cond === "string") return cond;
  const obj = cond as QapiObject;
  if (obj.not !== undefined) return { not: toIfCondition(obj.not) as IfCondition };
  if (obj.all !== undefined)
    return { all: (obj.all as QapiValue[]).map((c) => toIfCondition(c) as IfCondition) };
  return { any: (obj.any as QapiValue[]).map((c) => toIfCondition(c) as IfCondition) };
}

const quoteSorted = (names: Iterable<string>): string =>
  [...names]
    .sort()
    .map((n) => `'${n}'`)
    .join(", ");

/**
 * Required keys must be present, and nothing but required and optional keys may be. Lives here
 * because conditions need it too; check-expressions uses it for everything else.
 */
export function checkKeys(
  value: QapiObject,
  info: SourceInfo,
  source: string,
  required: readonly string[],
  optional: readonly string[],
): void {
  const present = Object.keys(value);
  const missing = required.filter((k) => !present.includes(k));
  if (missing.length > 0) {
    throw new SchemaError(
      info,
      `${source} misses key${missing.length > 1 ? "s" : ""} ${quoteSorted(missing)}`,
    );
  }
  const allowed = new Set([...required, ...optional]);
  const unknown = present.filter((k) => !allowed.has(k));
  if (unknown.length > 0) {
    throw new SchemaError(
      info,
      `${source} has unknown key${unknown.length > 1 ? "s" : ""} ${quoteSorted(unknown)}\nValid keys are ${quoteSorted(allowed)}.`,
    );
  }
}
