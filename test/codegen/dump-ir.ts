/**
 * Test helper: renders a checked Schema the way QEMU's schema test visitor dumps it (the
 * `NAME.out` files of QEMU's corpus), so tests can compare our IR with QEMU's line by line:
 * implicit types, their names and order, members, branches, flags, conditions and features.
 * `include` lines are not rendered: the IR does not keep include directives.
 */
import path from "node:path";
import type { Entity, Feature, IfCondition, Schema } from "../../codegen/ir.ts";

const BUILTIN_MODULE = "./builtin";

export function dumpSchema(schema: Schema): string {
  const modules = moduleNames(schema);
  const byModule = new Map<string, string[]>([
    [BUILTIN_MODULE, []],
    ...modules.map((m) => [m, []] as [string, string[]]),
  ]);
  const root = path.dirname(schema.files[0] ?? ".");
  for (const entity of schema.entities) {
    const file = moduleFile(entity, schema);
    const module = file === undefined ? BUILTIN_MODULE : path.relative(root, file);
    const lines = dumpEntity(entity);
    if (lines.length > 0) byModule.get(module)?.push(...lines);
  }
  return [...byModule].flatMap(([module, lines]) => [`module ${module}`, ...lines]).join("\n");
}

function moduleNames(schema: Schema): string[] {
  const root = path.dirname(schema.files[0] ?? ".");
  return schema.files.map((f) => path.relative(root, f));
}

/** An array type lives with its element type; everything else where it is defined. */
function moduleFile(entity: Entity, schema: Schema): string | undefined {
  if (entity.meta === "array") return schema.lookup(entity.elementType)?.info?.file;
  return entity.info?.file;
}

const py = (b: boolean) => (b ? "True" : "False");

/** Python's repr of the condition as QEMU stored it. */
function condRepr(cond: IfCondition): string {
  if (typeof cond === "string") return `'${cond}'`;
  if ("not" in cond) return `{'not': ${condRepr(cond.not)}}`;
  if ("all" in cond) return `{'all': [${cond.all.map(condRepr).join(", ")}]}`;
  return `{'any': [${cond.any.map(condRepr).join(", ")}]}`;
}

function ifLines(cond: IfCondition | undefined, indent = 4): string[] {
  if (cond === undefined) return [];
  return [`${" ".repeat(indent)}if ${typeof cond === "string" ? cond : condRepr(cond)}`];
}

function featureLines(features: Feature[], indent = 4): string[] {
  return features.flatMap((f) => [`${" ".repeat(indent)}feature ${f.name}`, ...ifLines(f.if, indent + 4)]);
}

function dumpEntity(e: Entity): string[] {
  switch (e.meta) {
    case "builtin":
    case "state-machine":
      return [];
    case "enum":
      return [
        `enum ${e.name}`,
        ...(e.prefix === undefined ? [] : [`    prefix ${e.prefix}`]),
        ...e.members.flatMap((m) => [
          `    member ${m.name}`,
          ...ifLines(m.if, 8),
          ...featureLines(m.features, 8),
        ]),
        ...ifLines(e.if),
        ...featureLines(e.features),
      ];
    case "array":
      // QEMU does not print the arrays of built-in types.
      return e.info ? [`array ${e.name} ${e.elementType}`, ...ifLines(e.if)] : [];
    case "object":
      return [
        `object ${e.name}`,
        ...(e.base === undefined ? [] : [`    base ${e.base}`]),
        ...e.localMembers.flatMap((m) => [
          `    member ${m.name}: ${m.type} optional=${py(m.optional)}`,
          ...ifLines(m.if, 8),
          ...featureLines(m.features, 8),
        ]),
        ...(e.variants ? [`    tag ${e.variants.tag}`] : []),
        ...(e.variants?.variants ?? []).flatMap((v) => [
          `    case ${v.name}: ${v.type}`,
          ...ifLines(v.if, 8),
        ]),
        ...ifLines(e.if),
        ...featureLines(e.features),
      ];
    case "alternate":
      return [
        `alternate ${e.name}`,
        "    tag type",
        ...e.variants.flatMap((v) => [`    case ${v.name}: ${v.type}`, ...ifLines(v.if, 8)]),
        ...ifLines(e.if),
        ...featureLines(e.features),
      ];
    case "command":
      return [
        `command ${e.name} ${e.argType ?? "None"} -> ${e.retType ?? "None"}`,
        `    gen=${py(e.gen)} success_response=${py(e.successResponse)} boxed=${py(e.boxed)} oob=${py(e.allowOob)} preconfig=${py(e.allowPreconfig)}${e.coroutine ? " coroutine=True" : ""}`,
        ...ifLines(e.if),
        ...featureLines(e.features),
      ];
    case "event":
      return [
        `event ${e.name} ${e.argType ?? "None"}`,
        `    boxed=${py(e.boxed)}`,
        ...ifLines(e.if),
        ...featureLines(e.features),
      ];
  }
}
