/**
 * Introspection emitter: what `query-qmp-schema` answers, as QEMU 7.2 builds it.
 *
 * Only what a client can reach matters: commands and events in schema order, then every type
 * they use, in order of first use. Type names are replaced by decimal strings in that same order
 * (clients should reason about commands, not type names), all integer flavours become `int`, and
 * arrays are named `[ELEMENT]`. Conditions are evaluated last, exactly like QEMU's C preprocessor
 * does after its generator numbered everything: a build that lacks a config symbol shows gaps in
 * the numbering, and so do we.
 */
import path from "node:path";
import { EMPTY_OBJECT } from "./builtins.ts";
import { GENERATED_NOTICE, type GeneratedFile } from "./generated-file.ts";
import type { Entity, Feature, IfCondition, ObjectType, Schema, SchemaType, Variant } from "./ir.ts";

export interface IntrospectionOptions {
  /** Keep real type names instead of masked numbers (QEMU's `-u`). */
  unmask?: boolean;
  /** Whether a config symbol is defined; without it every condition counts as true. */
  isDefined?: (symbol: string) => boolean;
}

/** One `SchemaInfo` entry; typed loosely because its shape depends on `meta-type`. */
export interface SchemaInfo {
  name: string;
  "meta-type": "builtin" | "enum" | "array" | "object" | "alternate" | "command" | "event";
  [key: string]: unknown;
}

/** QEMU's name for the type of "no arguments" / "returns nothing". */

export function emitIntrospection(schema: Schema, options: IntrospectionOptions = {}): GeneratedFile[] {
  const { entries, realNames } = buildIntrospection(schema, options);
  return [
    { path: "introspection.ts", content: renderTypeScript(entries, realNames) },
    { path: "introspection.json", content: `${renderJsonArray(entries)}\n` },
  ];
}

/** The `query-qmp-schema` answer; `realNames` maps masked names back (for comments and tests). */
export function buildIntrospection(
  schema: Schema,
  options: IntrospectionOptions = {},
): { entries: SchemaInfo[]; realNames: Map<string, string> } {
  const builder = new IntrospectionBuilder(schema, options);
  return { entries: builder.build(), realNames: builder.realNames };
}

/** Evaluates a QAPI condition; `undefined` (no condition) is always true. */
export function evaluateCondition(
  cond: IfCondition | undefined,
  isDefined: (symbol: string) => boolean,
): boolean {
  if (cond === undefined) return true;
  if (typeof cond === "string") return isDefined(cond);
  if ("all" in cond) return cond.all.every((c) => evaluateCondition(c, isDefined));
  if ("any" in cond) return cond.any.some((c) => evaluateCondition(c, isDefined));
  return !evaluateCondition(cond.not, isDefined);
}

/** An output element that exists only if its condition holds. */
interface Conditional<T> {
  value: T;
  if: IfCondition | undefined;
}

class IntrospectionBuilder {
  readonly realNames = new Map<string, string>();
  private readonly maskedNames = new Map<string, string>();
  private readonly usedTypes: SchemaType[] = [];
  private readonly used = new Set<string>();
  private readonly entries: Conditional<SchemaInfo>[] = [];

  constructor(
    private readonly schema: Schema,
    private readonly options: IntrospectionOptions,
  ) {}

  build(): SchemaInfo[] {
    for (const entity of inModuleOrder(this.schema)) {
      if (entity.meta === "command") {
        const info: SchemaInfo = { name: entity.name, "meta-type": "command" };
        info["arg-type"] = this.useType(entity.argType ?? EMPTY_OBJECT);
        info["ret-type"] = this.useType(entity.retType ?? EMPTY_OBJECT);
        if (entity.allowOob) info["allow-oob"] = true;
        this.add(info, entity.if, entity.features);
      } else if (entity.meta === "event") {
        const info: SchemaInfo = { name: entity.name, "meta-type": "event" };
        info["arg-type"] = this.useType(entity.argType ?? EMPTY_OBJECT);
        this.add(info, entity.if, entity.features);
      }
    }
    // The queue grows while we walk it: each type pulls in the types it mentions.
    for (let i = 0; i < this.usedTypes.length; i++) {
      const type = this.usedTypes[i];
      if (type) this.describeType(type);
    }
    return this.keep(this.entries);
  }

  private describeType(type: SchemaType): void {
    switch (type.meta) {
      case "builtin":
        this.add({ name: type.name, "meta-type": "builtin", "json-type": type.jsonType }, undefined, []);
        break;
      case "enum":
        this.add(
          {
            name: this.mask(type.name),
            "meta-type": "enum",
            members: this.keep(
              type.members.map((m) => ({
                value: { name: m.name, ...this.featuresOf(m.features) },
                if: m.if,
              })),
            ),
            values: this.keep(type.members.map((m) => ({ value: m.name, if: m.if }))),
          },
          type.if,
          type.features,
        );
        break;
      case "array": {
        const element = this.useType(type.elementType);
        // An array exists exactly when its element type does (QEMU derives it the same way).
        const cond = this.resolve(type.elementType).if ?? type.if;
        this.add({ name: `[${element}]`, "meta-type": "array", "element-type": element }, cond, []);
        break;
      }
      case "object":
        this.add(this.describeObject(type), type.if, type.features);
        break;
      case "alternate":
        this.add(
          {
            name: this.mask(type.name),
            "meta-type": "alternate",
            members: this.keep(
              type.variants.map((v) => ({ value: { type: this.useType(v.type) }, if: v.if })),
            ),
          },
          type.if,
          type.features,
        );
        break;
    }
  }

  private describeObject(type: ObjectType): SchemaInfo {
    const info: SchemaInfo = { name: this.mask(type.name), "meta-type": "object" };
    info.members = this.keep(
      type.members.map((m) => ({
        value: {
          name: m.name,
          type: this.useType(m.type),
          ...(m.optional ? { default: null } : {}),
          ...this.featuresOf(m.features),
        },
        if: m.if,
      })),
    );
    if (type.variants) {
      info.tag = type.variants.tag;
      info.variants = this.keep(
        this.allVariants(type).map((v) => ({
          value: { case: v.name, type: this.useType(v.type) },
          if: v.if,
        })),
      );
    }
    return info;
  }

  /**
   * The branches in `data`, then an empty branch for every other tag value: QEMU lists those too
   * (a union need not name every value of its tag, but the wire accepts each of them).
   */
  private allVariants(type: ObjectType): Variant[] {
    const given = type.variants?.variants ?? [];
    const tagType = type.members.find((m) => m.name === type.variants?.tag)?.type;
    const tagEnum = tagType === undefined ? undefined : this.resolve(tagType);
    if (tagEnum?.meta !== "enum") return given;
    const cases = new Set(given.map((v) => v.name));
    const implicit = tagEnum.members
      .filter((m) => !cases.has(m.name))
      .map((m) => ({ name: m.name, type: EMPTY_OBJECT, if: m.if, info: undefined }));
    return [...given, ...implicit];
  }

  /** Records a use of a type and returns the name clients see for it. */
  private useType(name: string): string {
    const type = this.collapseInt(this.resolve(name));
    if (!this.used.has(type.name)) {
      this.used.add(type.name);
      this.usedTypes.push(type);
    }
    if (type.meta === "builtin") return type.name;
    if (type.meta === "array") return `[${this.useType(type.elementType)}]`;
    return this.mask(type.name);
  }

  /** Clients cannot tell int8 from uint64 on the wire, so introspection does not either. */
  private collapseInt(type: SchemaType): SchemaType {
    if (isInt(type)) return this.resolve("int");
    if (type.meta === "array" && isInt(this.resolve(type.elementType))) return this.resolve("intList");
    return type;
  }

  private mask(name: string): string {
    if (this.options.unmask) return name;
    let masked = this.maskedNames.get(name);
    if (masked === undefined) {
      masked = String(this.maskedNames.size);
      this.maskedNames.set(name, masked);
      this.realNames.set(masked, name);
    }
    return masked;
  }

  private add(info: SchemaInfo, cond: IfCondition | undefined, features: Feature[]): void {
    Object.assign(info, this.featuresOf(features));
    this.entries.push({ value: info, if: cond });
  }

  /** QEMU keeps the key when every feature is compiled out (an empty list), so do we. */
  private featuresOf(features: Feature[]): { features?: string[] } {
    if (features.length === 0) return {};
    return { features: this.keep(features.map((f) => ({ value: f.name, if: f.if }))) };
  }

  private keep<T>(items: Conditional<T>[]): T[] {
    const isDefined = this.options.isDefined;
    if (!isDefined) return items.map((item) => item.value);
    return items.filter((item) => evaluateCondition(item.if, isDefined)).map((item) => item.value);
  }

  private resolve(name: string): SchemaType {
    return this.schema.lookupType(name);
  }
}

/**
 * QEMU walks its schema module by module (one module per file, in the order files were first
 * read, the main file first), not in plain definition order: the commands a file defines after an
 * `include` still come out together with the rest of that file. Built-ins come before everything.
 */
function inModuleOrder(schema: Schema): Entity[] {
  const rank = new Map<string, number>();
  for (const [i, file] of schema.files.entries()) {
    rank.set(file, i);
    rank.set(path.resolve(file), i);
  }
  const rankOf = (entity: Entity) => {
    const file = entity.info?.file;
    if (file === undefined) return -1;
    return rank.get(file) ?? rank.get(path.resolve(file)) ?? schema.files.length;
  };
  // Array.prototype.sort is stable, so definition order holds within a module.
  return [...schema.entities].sort((a, b) => rankOf(a) - rankOf(b));
}

function isInt(type: SchemaType): boolean {
  return type.meta === "builtin" && type.jsonType === "int";
}

/** One entry a line: diffs of generated output stay readable. */
function renderJsonArray(entries: SchemaInfo[], comment?: (entry: SchemaInfo) => string | undefined): string {
  const lines = entries.map((entry, i) => {
    const note = comment?.(entry);
    const line = `  ${JSON.stringify(entry)}${i < entries.length - 1 ? "," : ""}`;
    return note ? `  // ${note}\n${line}` : line;
  });
  return lines.length === 0 ? "[]" : `[\n${lines.join("\n")}\n]`;
}

function renderTypeScript(entries: SchemaInfo[], realNames: Map<string, string>): string {
  const comment = (entry: SchemaInfo) => {
    const real = realNames.get(entry.name);
    return real === undefined ? undefined : `"${entry.name}" = ${real}`;
  };
  return `// ${GENERATED_NOTICE}

/** One entry of the \`query-qmp-schema\` answer; the members depend on \`meta-type\`. */
export interface SchemaInfo {
  name: string;
  "meta-type": "builtin" | "enum" | "array" | "object" | "alternate" | "command" | "event";
  [key: string]: unknown;
}

/** What \`query-qmp-schema\` returns for this schema. */
export const schemaInfo: readonly SchemaInfo[] = ${renderJsonArray(entries, comment)};
`;
}
