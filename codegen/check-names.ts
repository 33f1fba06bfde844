/**
 * Naming rules of QAPI (QEMU 7.2): every name is letters, digits, '-' and '_', starting with a
 * letter, optionally prefixed by a downstream `__RFQDN_` and/or the experimental `x-`. Types are
 * CamelCase, commands and members lower-case, events upper-case. The `q_` namespace is reserved for
 * generated names (`q_obj_...`, `q_empty`).
 */
import { SchemaError, type SourceInfo } from "./source-info.ts";

/** Group 3 is the stem: the name without its downstream and experimental prefixes. */
const VALID_NAME = /^(__[a-z0-9.-]+_)?(x-)?([a-z][a-z0-9_-]*)$/i;

/** How a QAPI name reads as a C identifier; only used to detect clashes and reserved names. */
export function cName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, "_");
}

export function checkNameIsStr(name: unknown, info: SourceInfo, source: string): asserts name is string {
  if (typeof name !== "string") throw new SchemaError(info, `${source} requires a string name`);
}

/** Checks the common syntax and returns the stem. */
export function checkNameStr(name: string, info: SourceInfo, source: string): string {
  const match = VALID_NAME.exec(name);
  if (!match || cName(name).startsWith("q_")) throw new SchemaError(info, `${source} has an invalid name`);
  return match[3] ?? "";
}

export function checkNameUpper(name: string, info: SourceInfo, source: string): void {
  const stem = checkNameStr(name, info, source);
  if (/[a-z-]/.test(stem)) throw new SchemaError(info, `name of ${source} must not use lowercase or '-'`);
}

export interface LowerNameExceptions {
  permitUpper?: boolean;
  permitUnderscore?: boolean;
}

export function checkNameLower(
  name: string,
  info: SourceInfo,
  source: string,
  exceptions: LowerNameExceptions = {},
): void {
  const stem = checkNameStr(name, info, source);
  if (
    (!exceptions.permitUpper && /[A-Z]/.test(stem)) ||
    (!exceptions.permitUnderscore && stem.includes("_"))
  ) {
    throw new SchemaError(info, `name of ${source} must not use uppercase or '_'`);
  }
}

export function checkNameCamel(name: string, info: SourceInfo, source: string): void {
  const stem = checkNameStr(name, info, source);
  if (!/^[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*$/.test(stem)) {
    throw new SchemaError(info, `name of ${source} must use CamelCase`);
  }
}

/**
 * The name of a definition. Type names may not end in "List" because `['Foo']` creates the
 * implicit array type `FooList`.
 */
export function checkDefinitionName(
  name: string,
  info: SourceInfo,
  meta: string,
  commandNameExceptions: readonly string[],
): void {
  if (meta === "event") {
    checkNameUpper(name, info, meta);
  } else if (meta === "command") {
    checkNameLower(name, info, meta, { permitUnderscore: commandNameExceptions.includes(name) });
  } else {
    checkNameCamel(name, info, meta);
    if (name.endsWith("List")) throw new SchemaError(info, `${meta} name should not end in 'List'`);
  }
}
