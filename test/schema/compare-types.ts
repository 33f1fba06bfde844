/**
 * Structural comparison of a definition in two loaded schemas (ours and QEMU's): the wire shape
 * must be the same — member names, types, optionality, conditions, variants — so a facade can
 * pass a command through unchanged. Enums of ours may append values QEMU 7.2 lacks, but only
 * those listed as known extensions.
 */
import type { Command, Event, IfCondition, Schema, SchemaType } from "../../codegen/ir.ts";

/** Enum values ours may add after QEMU 7.2's, per enum. */
export type EnumExtensions = Record<string, string[]>;

interface Ctx {
  ours: Schema;
  qemu: Schema;
  extensions: EnumExtensions;
  problems: string[];
  seen: Set<string>;
}

const cond = (c: IfCondition | undefined): string => JSON.stringify(c ?? null);

function compareType(ctx: Ctx, ourName: string, qemuName: string, where: string): void {
  const key = `${ourName}|${qemuName}`;
  if (ctx.seen.has(key)) return;
  ctx.seen.add(key);
  const a = ctx.ours.lookupType(ourName);
  const b = ctx.qemu.lookupType(qemuName);
  if (a.meta !== b.meta) {
    ctx.problems.push(`${where}: '${ourName}' is ${a.meta}, QEMU's '${qemuName}' is ${b.meta}`);
    return;
  }
  compareSameMeta(ctx, a, b, where);
}

function compareSameMeta(ctx: Ctx, a: SchemaType, b: SchemaType, where: string): void {
  if (a.meta === "builtin" || b.meta === "builtin") {
    if (a.name !== b.name) ctx.problems.push(`${where}: type '${a.name}' vs QEMU's '${b.name}'`);
  } else if (a.meta === "enum" && b.meta === "enum") {
    compareEnum(ctx, a.name, a.members, b.members, where);
  } else if (a.meta === "array" && b.meta === "array") {
    compareType(ctx, a.elementType, b.elementType, `${where}[]`);
  } else if (a.meta === "object" && b.meta === "object") {
    compareMembers(ctx, a.members, b.members, `${where} (${a.name})`);
    const av = a.variants;
    const bv = b.variants;
    if ((av === undefined) !== (bv === undefined) || (av && bv && av.tag !== bv.tag)) {
      ctx.problems.push(`${where}: variants of '${a.name}' differ from QEMU's`);
    } else if (av && bv) {
      compareVariants(ctx, av.variants, bv.variants, `${where} (${a.name})`);
    }
  } else if (a.meta === "alternate" && b.meta === "alternate") {
    compareVariants(ctx, a.variants, b.variants, `${where} (${a.name})`);
  }
}

function compareEnum(
  ctx: Ctx,
  name: string,
  ours: { name: string; if: IfCondition | undefined }[],
  qemu: { name: string; if: IfCondition | undefined }[],
  where: string,
): void {
  qemu.forEach((m, i) => {
    const o = ours[i];
    if (o?.name !== m.name || cond(o.if) !== cond(m.if)) {
      ctx.problems.push(`${where}: enum '${name}' value #${i} is '${o?.name}', QEMU has '${m.name}'`);
    }
  });
  const extra = ours.slice(qemu.length).map((m) => m.name);
  const allowed = ctx.extensions[name] ?? [];
  for (const e of extra) {
    if (!allowed.includes(e)) ctx.problems.push(`${where}: enum '${name}' adds unexpected '${e}'`);
  }
}

type Member = { name: string; type: string; optional: boolean; if: IfCondition | undefined };

function compareMembers(ctx: Ctx, ours: Member[], qemu: Member[], where: string): void {
  const names = (ms: Member[]) => ms.map((m) => m.name).join(",");
  if (names(ours) !== names(qemu)) {
    ctx.problems.push(`${where}: members [${names(ours)}] vs QEMU's [${names(qemu)}]`);
    return;
  }
  qemu.forEach((m, i) => {
    const o = ours[i] as Member;
    if (o.optional !== m.optional) ctx.problems.push(`${where}.${m.name}: optionality differs`);
    if (cond(o.if) !== cond(m.if)) ctx.problems.push(`${where}.${m.name}: condition differs`);
    compareType(ctx, o.type, m.type, `${where}.${m.name}`);
  });
}

function compareVariants(
  ctx: Ctx,
  ours: { name: string; type: string }[],
  qemu: { name: string; type: string }[],
  where: string,
): void {
  const names = (vs: { name: string }[]) => vs.map((v) => v.name).join(",");
  if (names(ours) !== names(qemu)) {
    ctx.problems.push(`${where}: variants [${names(ours)}] vs QEMU's [${names(qemu)}]`);
    return;
  }
  qemu.forEach((v, i) => {
    compareType(ctx, (ours[i] as { type: string }).type, v.type, `${where}:${v.name}`);
  });
}

function compareOptionalType(ctx: Ctx, a: string | undefined, b: string | undefined, where: string): void {
  if (a === undefined || b === undefined) {
    if (a !== b) ctx.problems.push(`${where}: '${a}' vs QEMU's '${b}'`);
    return;
  }
  compareType(ctx, a, b, where);
}

/** Problems found comparing our command or event `name` with QEMU's (empty = same wire shape). */
export function compareDefinition(
  ours: Schema,
  qemu: Schema,
  name: string,
  extensions: EnumExtensions,
): string[] {
  const ctx: Ctx = { ours, qemu, extensions, problems: [], seen: new Set() };
  const a = ours.lookup(name);
  const b = qemu.lookup(name);
  if (a === undefined || b === undefined) return [`'${name}' missing in ${a ? "QEMU" : "ours"}`];
  if (a.meta !== b.meta) return [`'${name}' is ${a.meta} but ${b.meta} in QEMU`];
  if (a.meta === "command") {
    const c = b as Command;
    for (const flag of ["boxed", "allowOob", "allowPreconfig", "successResponse"] as const) {
      if (a[flag] !== c[flag]) ctx.problems.push(`${name}: flag ${flag} differs`);
    }
    compareOptionalType(ctx, a.argType, c.argType, `${name} arguments`);
    compareOptionalType(ctx, a.retType, c.retType, `${name} returns`);
  } else if (a.meta === "event") {
    const e = b as Event;
    if (a.boxed !== e.boxed) ctx.problems.push(`${name}: flag boxed differs`);
    compareOptionalType(ctx, a.argType, e.argType, `${name} data`);
  } else {
    compareType(ctx, name, name, name);
  }
  return ctx.problems;
}
