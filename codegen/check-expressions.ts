/**
 * Context-free shape checks of every definition (QEMU 7.2's expr.py rules and messages): the meta
 * key, required/allowed keys, names, `if` conditions, features, member and type shapes, flags, and
 * the doc comment's hookup. Nothing here looks at another definition; resolving names is
 * build-schema's job. The expressions are not modified: build-schema reads the sugared forms
 * (`'name': 'type'`, `'feat'`, `'value'`) through the normalizers at the end of this file.
 */
import type { ParsedExpression, ParsedSchema, PositionMap, Pragma, QapiObject, QapiValue } from "./ast.ts";
import { checkIf, checkKeys } from "./check-conditions.ts";
import {
  checkDefinitionName,
  checkNameIsStr,
  checkNameLower,
  checkNameStr,
  cName,
  type LowerNameExceptions,
} from "./check-names.ts";
import type { QapiDialect } from "./dialect.ts";
import { SchemaError, type SourceInfo } from "./source-info.ts";
import { checkStateMachineExpression } from "./state-machine-expr.ts";

/** The keys that say what a definition is, in the order the error message lists them. */
export const META_KEYS = [
  "enum",
  "struct",
  "union",
  "alternate",
  "command",
  "event",
  "state-machine",
] as const;
export type Meta = (typeof META_KEYS)[number];

/** What every check needs: where the definition is, and what the parser knows around it. */
interface Context {
  info: SourceInfo;
  positions: PositionMap;
  pragma: Pragma;
  dialect: QapiDialect;
}

export function checkExpressions(parsed: ParsedSchema): void {
  for (const { expr, info, doc } of parsed.expressions) {
    const ctx: Context = {
      info,
      positions: parsed.positions,
      pragma: parsed.pragma,
      dialect: parsed.dialect,
    };
    const meta = metaOf({ expr, info, doc });
    const name = expr[meta];
    checkNameIsStr(name, info, `'${meta}'`);
    info.setDefinition(meta, name);
    checkDefinitionName(name, info, meta, parsed.pragma.commandNameExceptions);
    if (doc) {
      if (doc.symbol !== name) throw new SchemaError(info, `documentation comment is for '${doc.symbol}'`);
      doc.checkExpression(expr);
    } else if (parsed.pragma.docRequired) {
      throw new SchemaError(info, "documentation comment required");
    }
    CHECKS[meta](expr, ctx);
    checkIf(expr, info, meta);
    checkFeatures(expr.features, ctx);
    checkFlags(expr, info);
  }
}

/** The one meta key of an expression. */
export function metaOf({ expr, info }: ParsedExpression): Meta {
  const metas = META_KEYS.filter((k) => k in expr);
  const [meta] = metas;
  if (metas.length !== 1 || meta === undefined) {
    throw new SchemaError(
      info,
      `expression must have exactly one key ${META_KEYS.map((k) => `'${k}'`).join(", ")}`,
    );
  }
  return meta;
}

const CHECKS: Record<Meta, (expr: QapiObject, ctx: Context) => void> = {
  enum(expr, ctx) {
    checkKeys(expr, ctx.info, "enum", ["enum", "data"], ["if", "features", "prefix"]);
    checkEnum(expr, ctx);
  },
  struct(expr, ctx) {
    checkKeys(expr, ctx.info, "struct", ["struct", "data"], ["base", "if", "features"]);
    if (ctx.dialect !== "7.2" && !isObject(expr.data)) {
      throw new SchemaError(ctx.info, "'data' should be an object or type name");
    }
    checkType(expr.data, ctx, "'data'", { allowDict: expr.struct as string });
    checkType(expr.base, ctx, "'base'");
  },
  union(expr, ctx) {
    checkKeys(expr, ctx.info, "union", ["union", "base", "discriminator", "data"], ["if", "features"]);
    checkUnion(expr, ctx);
  },
  alternate(expr, ctx) {
    checkKeys(expr, ctx.info, "alternate", ["alternate", "data"], ["if", "features"]);
    checkAlternate(expr, ctx);
  },
  command(expr, ctx) {
    checkKeys(
      expr,
      ctx.info,
      "command",
      ["command"],
      [
        "data",
        "returns",
        "boxed",
        "if",
        "features",
        "gen",
        "success-response",
        "allow-oob",
        "allow-preconfig",
        "coroutine",
      ],
    );
    checkArguments(expr, ctx);
    checkType(expr.returns, ctx, "'returns'", { allowArray: true });
  },
  event(expr, ctx) {
    checkKeys(expr, ctx.info, "event", ["event"], ["data", "boxed", "if", "features"]);
    checkArguments(expr, ctx);
  },
  "state-machine"(expr, ctx) {
    checkStateMachineExpression(expr, ctx.info);
  },
};

/** Python truthiness, which QEMU's checks rely on for `boxed` and alternate `data`. */
function truthy(value: QapiValue | undefined): boolean {
  if (value === undefined || value === false || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

export function isObject(value: QapiValue | undefined): value is QapiObject {
  return typeof value === "object" && !Array.isArray(value);
}

/**
 * The location of a value inside the definition. Errors keep the definition's line (the line
 * QEMU reports); when the value sits on that same line, its column is more precise than the
 * definition's.
 */
function at(ctx: Context, holder: object, key: string): SourceInfo {
  const pos = ctx.positions.get(holder)?.get(key);
  return pos && pos.line === ctx.info.line ? ctx.info.at(pos.line, pos.col) : ctx.info;
}

function checkEnum(expr: QapiObject, ctx: Context): void {
  const { data, prefix } = expr;
  if (!Array.isArray(data)) throw new SchemaError(ctx.info, "'data' must be an array");
  if (prefix !== undefined && typeof prefix !== "string")
    throw new SchemaError(ctx.info, "'prefix' must be a string");
  const permissive = ctx.pragma.memberNameExceptions.includes(expr.enum as string);
  data.forEach((value, index) => {
    const info = at(ctx, data, String(index));
    const member = enumMemberSpec(value);
    checkKeys(member, info, "'data' member", ["name"], ["if", "features"]);
    checkNameIsStr(member.name, info, "'data' member");
    const source = `'data' member '${member.name}'`;
    // Enum values may start with a digit (e.g. "1080p"); the name rules do not allow that.
    const name = /^[0-9]/.test(member.name) ? `d${member.name}` : member.name;
    checkNameLower(name, info, source, { permitUpper: permissive, permitUnderscore: permissive });
    checkIf(member, info, source);
    checkFeatures(member.features, { ...ctx, info });
  });
}

function checkUnion(expr: QapiObject, ctx: Context): void {
  const { base, discriminator, data } = expr;
  checkType(base, ctx, "'base'", { allowDict: expr.union as string });
  checkNameIsStr(discriminator, ctx.info, "'discriminator'");
  if (!isObject(data)) throw new SchemaError(ctx.info, "'data' must be an object");
  for (const [key, value] of Object.entries(data)) {
    const info = at(ctx, data, key);
    const source = `'data' member '${key}'`;
    const branch = memberSpec(value);
    checkKeys(branch, info, source, ["type"], ["if"]);
    checkIf(branch, info, source);
    // 7.2 still took the old union form (no base, array branches); 10.0 takes type names only.
    checkType(branch.type, { ...ctx, info }, source, { allowArray: ctx.dialect === "7.2" && !truthy(base) });
  }
}

function checkAlternate(expr: QapiObject, ctx: Context): void {
  const { data } = expr;
  if (!truthy(data)) throw new SchemaError(ctx.info, "'data' must not be empty");
  if (!isObject(data)) throw new SchemaError(ctx.info, "'data' must be an object");
  for (const [key, value] of Object.entries(data)) {
    const info = at(ctx, data, key);
    const source = `'data' member '${key}'`;
    checkNameLower(key, info, source);
    const branch = memberSpec(value);
    checkKeys(branch, info, source, ["type"], ["if"]);
    checkIf(branch, info, source);
    checkType(branch.type, { ...ctx, info }, source, { allowArray: true });
  }
}

/** `data` of a command or event: a type name, or inline members unless boxed. */
function checkArguments(expr: QapiObject, ctx: Context): void {
  const boxed = truthy(expr.boxed);
  if (boxed && expr.data === undefined) throw new SchemaError(ctx.info, "'boxed': true requires 'data'");
  checkType(expr.data, ctx, "'data'", { allowDict: !boxed });
}

interface TypeShape {
  allowArray?: boolean;
  /** `true`, or the name of the defining type (its members may use pragma member-name-exceptions). */
  allowDict?: boolean | string;
}

/** A type reference: a name, `[name]` where allowed, or inline members where allowed. */
function checkType(value: QapiValue | undefined, ctx: Context, source: string, shape: TypeShape = {}): void {
  if (value === undefined || typeof value === "string") return;
  if (ctx.dialect !== "7.2") {
    checkType10(value, ctx, source, shape);
    return;
  }
  if (Array.isArray(value)) {
    if (!shape.allowArray) throw new SchemaError(ctx.info, `${source} cannot be an array`);
    if (value.length !== 1 || typeof value[0] !== "string") {
      throw new SchemaError(ctx.info, `${source}: array type must contain single type name`);
    }
    return;
  }
  if (!shape.allowDict) throw new SchemaError(ctx.info, `${source} should be a type name`);
  if (!isObject(value)) throw new SchemaError(ctx.info, `${source} should be an object or type name`);
  checkImplicitMembers(value, ctx, source, shape);
}

/** QEMU 10.0 words each kind of reference by what it may be: a name, a name or array, or inline. */
function checkType10(
  value: Exclude<QapiValue, string>,
  ctx: Context,
  source: string,
  shape: TypeShape,
): void {
  if (shape.allowArray && Array.isArray(value)) {
    if (value.length !== 1 || typeof value[0] !== "string") {
      throw new SchemaError(ctx.info, `${source}: array type must contain single type name`);
    }
    return;
  }
  if (!shape.allowDict) {
    throw new SchemaError(ctx.info, `${source} should be a type name${shape.allowArray ? " or array" : ""}`);
  }
  if (!isObject(value)) throw new SchemaError(ctx.info, `${source} should be an object or type name`);
  checkImplicitMembers(value, ctx, source, shape);
}

/** Inline members: names, reserved names, and each member's own keys and type. */
function checkImplicitMembers(value: QapiObject, ctx: Context, source: string, shape: TypeShape): void {
  const permissive =
    typeof shape.allowDict === "string" && ctx.pragma.memberNameExceptions.includes(shape.allowDict);
  const exceptions: LowerNameExceptions = { permitUpper: permissive, permitUnderscore: permissive };
  for (const [key, arg] of Object.entries(value)) {
    const info = at(ctx, value, key);
    const keySource = `${source} member '${key}'`;
    const name = key.startsWith("*") ? key.slice(1) : key;
    checkNameLower(name, info, keySource, exceptions);
    const c = cName(name);
    if (c === "u" || c.startsWith("has_")) throw new SchemaError(info, `${keySource} uses reserved name`);
    const member = memberSpec(arg);
    checkKeys(member, info, keySource, ["type"], ["if", "features"]);
    checkIf(member, info, keySource);
    checkFeatures(member.features, { ...ctx, info });
    checkType(member.type, { ...ctx, info }, keySource, { allowArray: true });
  }
}

function checkFeatures(features: QapiValue | undefined, ctx: Context): void {
  if (features === undefined) return;
  if (!Array.isArray(features)) throw new SchemaError(ctx.info, "'features' must be an array");
  features.forEach((value, index) => {
    const info = at(ctx, features, String(index));
    const feature = featureSpec(value);
    checkKeys(feature, info, "'features' member", ["name"], ["if"]);
    checkNameIsStr(feature.name, info, "'features' member");
    const source = `'features' member '${feature.name}'`;
    checkNameStr(feature.name, info, source);
    checkIf(feature, info, source);
  });
}

function checkFlags(expr: QapiObject, info: SourceInfo): void {
  for (const key of ["gen", "success-response"]) {
    if (key in expr && expr[key] !== false)
      throw new SchemaError(info, `flag '${key}' may only use false value`);
  }
  for (const key of ["boxed", "allow-oob", "allow-preconfig", "coroutine"]) {
    if (key in expr && expr[key] !== true)
      throw new SchemaError(info, `flag '${key}' may only use true value`);
  }
  if ("allow-oob" in expr && "coroutine" in expr) {
    // QEMU forbids the combination until someone needs it and defines what it means.
    throw new SchemaError(info, "flags 'allow-oob' and 'coroutine' are incompatible");
  }
}

/* Normalizers: the canonical object form of the sugared shorthands. */

/** `'name': 'Type'` or `'name': ['Type']` is short for `'name': { 'type': ... }`. */
export function memberSpec(value: QapiValue): QapiObject {
  return isObject(value) ? value : { type: value };
}

/** An enum value `'foo'` is short for `{ 'name': 'foo' }`. */
export function enumMemberSpec(value: QapiValue): QapiObject & { name: QapiValue } {
  return (isObject(value) ? value : { name: value }) as QapiObject & { name: QapiValue };
}

/** A feature `'foo'` is short for `{ 'name': 'foo' }`. */
export const featureSpec = enumMemberSpec;
