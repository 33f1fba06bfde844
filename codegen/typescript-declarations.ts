/**
 * A direct renderer of TypeScript declarations from the "types" JSON Schema definitions, written
 * to produce exactly what json-schema-to-typescript produces for them (same declarations, same
 * order, same spelling), at a small fraction of its cost: json-schema-to-typescript alone takes
 * longer than the whole codegen budget on QEMU's schema. The TypeScript emitter's tests compare
 * the two byte for byte, so json-schema-to-typescript stays the reference for correctness.
 *
 * It covers only the JSON Schema subset json-schema-documents.ts produces: `$ref`, string
 * enums, `const`, primitive types, arrays, closed objects, `anyOf` (alternates),
 * `allOf` + `oneOf` (unions), a one-element `allOf` around a documented `$ref`, and
 * `description`, written as json-schema-to-typescript writes a JSDoc block (`tsType`, its
 * verbatim type, spells `unknown` where a description would otherwise stand alone).
 *
 * Order, as json-schema-to-typescript's generator walks its AST: every type alias first (a
 * depth-first walk over the definitions in order, an alias declared before what it uses), then
 * every interface (the same walk, a second time, declaring interfaces).
 */
import type { JsonObject, JsonValue } from "./json-value.ts";

export interface RenderedDeclarations {
  /** Aliases, a blank line, interfaces. */
  text: string;
  /** Definition name → declared TypeScript name. */
  names: Map<string, string>;
}

export function renderDeclarations(definitions: JsonObject): RenderedDeclarations {
  const defs = definitions as Record<string, JsonObject>;
  const names = declaredNames(Object.keys(defs));
  const render = (schema: JsonObject) => typeExpression(schema, names);
  const nameOf = (key: string) => names.get(key) as string;
  const aliases = walk(defs, (key, schema) =>
    isInterface(schema) ? undefined : aliasText(nameOf(key), schema, render),
  );
  const interfaces = walk(defs, (key, schema) =>
    isInterface(schema) ? interfaceText(nameOf(key), schema, render) : undefined,
  );
  const text = [aliases.join("\n"), interfaces.join("\n")].filter((s) => s !== "").join("\n\n");
  return { text, names };
}

/** A definition that is a plain object becomes an interface; everything else a type alias. */
function isInterface(schema: JsonObject): boolean {
  return schema.type === "object" && schema.allOf === undefined;
}

/**
 * Visits the definitions depth first, in order, each once; `declare` is asked at each
 * definition before its children are visited.
 */
function walk(
  defs: Record<string, JsonObject>,
  declare: (name: string, schema: JsonObject) => string | undefined,
): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visitDefinition = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    const schema = defs[key] as JsonObject;
    const text = declare(key, schema);
    if (text !== undefined) out.push(text);
    visitChildren(schema);
  };
  const visitChildren = (schema: JsonObject): void => {
    for (const child of childSchemas(schema)) {
      const ref = refKey(child);
      if (ref !== undefined) visitDefinition(ref);
      else visitChildren(child);
    }
  };
  for (const key of Object.keys(defs)) visitDefinition(key);
  return out;
}

function childSchemas(schema: JsonObject): JsonObject[] {
  const children: JsonObject[] = [];
  for (const key of ["allOf", "anyOf", "oneOf"]) {
    if (Array.isArray(schema[key])) children.push(...(schema[key] as JsonObject[]));
  }
  if (schema.properties) children.push(...(Object.values(schema.properties as JsonObject) as JsonObject[]));
  if (schema.items) children.push(schema.items as JsonObject);
  return children;
}

function refKey(schema: JsonObject): string | undefined {
  const ref = schema.$ref;
  return typeof ref === "string" ? ref.slice(ref.lastIndexOf("/") + 1) : undefined;
}

function aliasText(name: string, schema: JsonObject, render: (s: JsonObject) => string): string {
  return `${comment(schema)}export type ${name} = ${render(schema)}`;
}

function interfaceText(name: string, schema: JsonObject, render: (s: JsonObject) => string): string {
  return `${comment(schema)}export interface ${name} ${objectBody(schema, render)}`;
}

/** A schema's `description` as a JSDoc block and a newline, or nothing. */
function comment(schema: JsonObject): string {
  if (typeof schema.description !== "string") return "";
  return `/**\n${schema.description
    .split("\n")
    .map((line) => ` * ${line}`)
    .join("\n")}\n */\n`;
}

function typeExpression(schema: JsonObject, names: Map<string, string>): string {
  const render = (s: JsonObject) => typeExpression(s, names);
  const ref = refKey(schema);
  if (ref !== undefined) return names.get(ref) as string;
  if (typeof schema.tsType === "string") return schema.tsType;
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return union(schema.enum.map((v) => JSON.stringify(v)));
  if (Array.isArray(schema.anyOf)) return union((schema.anyOf as JsonObject[]).map(render));
  if (Array.isArray(schema.oneOf)) return union((schema.oneOf as JsonObject[]).map(render));
  if (Array.isArray(schema.allOf) && schema.allOf.length === 1 && schema.properties === undefined) {
    // A documented reference: the description sits beside a one-element allOf.
    return render(schema.allOf[0] as JsonObject);
  }
  if (Array.isArray(schema.allOf)) {
    // A branch that is itself a union: its nested branches, then its own members.
    const parts = (schema.allOf as JsonObject[]).map(render);
    if (schema.properties) parts.push(objectBody(schema, render));
    return `(${parts.join(" & ")})`;
  }
  switch (schema.type) {
    case "string":
    case "boolean":
    case "null":
      return schema.type;
    case "integer":
    case "number":
      return "number";
    case "array":
      return `${render(schema.items as JsonObject)}[]`;
    case "object":
      return objectBody(schema, render);
    default:
      return "unknown";
  }
}

function union(members: string[]): string {
  return members.length === 1 ? (members[0] as string) : `(${members.join(" | ")})`;
}

function objectBody(schema: JsonObject, render: (s: JsonObject) => string): string {
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const properties = (schema.properties ?? {}) as Record<string, JsonValue>;
  const lines = Object.entries(properties).map(
    ([key, value]) =>
      `${comment(value as JsonObject)}${propertyKey(key)}${required.has(key) ? "" : "?"}: ${render(value as JsonObject)}`,
  );
  return `{\n${lines.join("\n")}\n}`;
}

/** Bare when it is an identifier, quoted otherwise (`"current-progress"`). */
function propertyKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
}

/** The TypeScript name of each definition, spelled as json-schema-to-typescript spells it. */
function declaredNames(keys: string[]): Map<string, string> {
  const names = new Map<string, string>();
  const used = new Map<string, string>();
  for (const key of keys) {
    const name = typeName(key);
    const clash = used.get(name);
    if (clash !== undefined)
      throw new Error(`definitions '${clash}' and '${key}' both become TypeScript '${name}'`);
    used.set(name, key);
    names.set(key, name);
  }
  return names;
}

/**
 * An identifier from a definition name: characters outside identifiers split words, a word
 * after `_` or a digit starts upper-case, the first letter is upper-case
 * (`q_obj_migrate-arg` → `QObjMigrateArg`, `q_obj_MOVED-arg` → `QObj_MOVEDArg`).
 */
function typeName(key: string): string {
  const spaced = key
    .replace(/(^\s*[^a-zA-Z_$])|([^a-zA-Z_$\d])/g, " ")
    .replace(/^_[a-z]/g, (m) => m.toUpperCase())
    .replace(/_[a-z]/g, (m) => m.slice(1).toUpperCase())
    .replace(/([\d$]+[a-zA-Z])/g, (m) => m.toUpperCase())
    .replace(/\s+([a-zA-Z])/g, (m) => m.trim().toUpperCase())
    .replace(/\s/g, "")
    .replace(/^\d+/, "");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}
