/**
 * The JSON Schema (draft-07) form of a checked QAPI schema, in two flavours:
 *
 * - input: what jobshim accepts (command arguments). Closed: enums list their values, objects
 *   reject unknown members. It holds every named type, so it is also the source of the
 *   TypeScript types.
 * - output: what jobshim reads from a QEMU (command returns, event data). Tolerant, because a
 *   newer QEMU adds enum values (MigrationStatus grew twice since 7.2) and members: enums are
 *   open, unknown members and unknown union tags pass. It holds only the types reachable from
 *   returns and event data.
 *
 * Union members travel flat on the wire, as in QEMU: the base members and one branch per tag
 * value, each branch pinning the tag with `const`. Draft-07 has no `unevaluatedProperties`, so
 * a closed union is closed per branch with `propertyNames` listing every member allowed there.
 *
 * `if` conditions are kept, not evaluated: as `x-if` on a definition, member, branch or
 * alternative, and as `x-value-if` (value → condition) on an enum. Those two annotation
 * keywords must be declared to ajv (`keywords: [...ANNOTATION_KEYWORDS]`) since strict mode
 * refuses unknown keywords.
 */
import type { SchemaDoc } from "./doc.ts";
import { definitionDescription, memberDescription, memberDocs } from "./doc-text.ts";
import type { Entity, EnumType, IfCondition, ObjectMember, ObjectType, Schema } from "./ir.ts";
import { builtinSchema } from "./json-schema-builtins.ts";
import type { JsonObject, JsonValue } from "./json-value.ts";

export type Flavour = "input" | "output";

export const INPUT_SCHEMA_ID = "urn:jobshim:qapi:input";
export const OUTPUT_SCHEMA_ID = "urn:jobshim:qapi:output";
export const ANNOTATION_KEYWORDS = ["x-if", "x-value-if"] as const;

export interface JsonSchemaDocuments {
  input: JsonObject;
  output: JsonObject;
  /** Per command: schemas with absolute `$ref`s into the two documents. */
  commands: Record<string, { args: JsonObject; ret: JsonObject }>;
  /** Per event: the schema of its `data`. */
  events: Record<string, { data: JsonObject }>;
}

export interface DocumentOptions {
  /**
   * "types" leaves out what only validation needs (annotations, integer bounds, closing
   * keywords): json-schema-to-typescript types the same without them, and runs faster on less.
   * It adds what only types need: the schema's docs as `description` of definitions and
   * members, which become the types' JSDoc (doc-text.ts).
   */
  purpose?: "validation" | "types";
}

interface Context {
  schema: Schema;
  flavour: Flavour;
  /** Validation keywords and annotations are wanted (not just the shape for types). */
  full: boolean;
  /** For types: the doc each object type's members are documented in (doc-text.ts). */
  docs: Map<string, SchemaDoc> | undefined;
}

type DefinableType = Extract<Entity, { meta: "enum" | "object" | "alternate" }>;

export function buildJsonSchemaDocuments(schema: Schema, options: DocumentOptions = {}): JsonSchemaDocuments {
  const full = options.purpose !== "types";
  const docs = full ? undefined : memberDocs(schema);
  const input: Context = { schema, flavour: "input", full, docs };
  const output: Context = { schema, flavour: "output", full, docs };
  const argTypes = new Set<string>();
  const outputRoots: string[] = [];
  for (const e of schema.entities) {
    if ((e.meta === "command" || e.meta === "event") && e.argType) argTypes.add(e.argType);
    if (e.meta === "command" && e.retType) outputRoots.push(e.retType);
    if (e.meta === "event" && e.argType) outputRoots.push(e.argType);
  }
  const reachable = reachableTypes(schema, outputRoots);
  const inputTypes = definableTypes(schema).filter((t) => !isImplicitObject(t) || argTypes.has(t.name));
  const outputTypes = definableTypes(schema).filter((t) => reachable.has(t.name));
  return {
    input: document(input, INPUT_SCHEMA_ID, inputTypes),
    output: document(output, OUTPUT_SCHEMA_ID, outputTypes),
    ...operations(schema, input, output),
  };
}

function operations(
  schema: Schema,
  input: Context,
  output: Context,
): Pick<JsonSchemaDocuments, "commands" | "events"> {
  const commands: JsonSchemaDocuments["commands"] = {};
  const events: JsonSchemaDocuments["events"] = {};
  for (const e of schema.entities) {
    if (e.meta === "command") {
      commands[e.name] = {
        args: e.argType
          ? typeRef(input, e.argType, INPUT_SCHEMA_ID)
          : { type: "object", additionalProperties: false },
        // QEMU answers a command without a declared return with `{}`.
        ret: e.retType ? typeRef(output, e.retType, OUTPUT_SCHEMA_ID) : { type: "object" },
      };
    } else if (e.meta === "event") {
      events[e.name] = {
        data: e.argType ? typeRef(output, e.argType, OUTPUT_SCHEMA_ID) : { type: "object" },
      };
    }
  }
  return { commands, events };
}

function document(ctx: Context, id: string, types: DefinableType[]): JsonObject {
  const definitions: JsonObject = {};
  for (const t of types) definitions[t.name] = withIf(ctx, described(ctx, definition(ctx, t), t), t.if);
  return { $schema: "http://json-schema.org/draft-07/schema#", $id: id, definitions };
}

function definableTypes(schema: Schema): DefinableType[] {
  return schema.entities.filter(
    (e): e is DefinableType => e.meta === "enum" || e.meta === "object" || e.meta === "alternate",
  );
}

function isImplicitObject(t: DefinableType): boolean {
  return t.meta === "object" && t.implicit;
}

/** Names of every type the roots use, transitively. */
function reachableTypes(schema: Schema, roots: string[]): Set<string> {
  const seen = new Set<string>();
  const pending = [...roots];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const t = schema.lookupType(name);
    if (t.meta === "array") pending.push(t.elementType);
    if (t.meta === "alternate") pending.push(...t.variants.map((v) => v.type));
    if (t.meta === "object") {
      pending.push(...t.members.map((m) => m.type));
      if (t.variants) pending.push(...t.variants.variants.map((v) => v.type));
    }
  }
  return seen;
}

function definition(ctx: Context, t: DefinableType): JsonObject {
  switch (t.meta) {
    case "enum":
      return enumSchema(ctx, t);
    case "alternate":
      // Branches differ by JSON type; anyOf because an integer is also a number.
      return { anyOf: t.variants.map((v) => withIf(ctx, typeRef(ctx, v.type), v.if)) };
    case "object":
      return objectSchema(ctx, t);
  }
}

function enumSchema(ctx: Context, t: EnumType): JsonObject {
  const values = t.members.map((m) => m.name);
  const schema: JsonObject =
    ctx.flavour === "input"
      ? { type: "string", enum: values }
      : { anyOf: [{ enum: values }, { type: "string" }] };
  const conditional = t.members.filter((m) => m.if !== undefined);
  if (ctx.full && conditional.length > 0) {
    schema["x-value-if"] = Object.fromEntries(conditional.map((m) => [m.name, m.if as JsonValue]));
  }
  return schema;
}

/** A schema for a use of the named type: builtins and arrays inline, the rest by `$ref`. */
function typeRef(ctx: Context, name: string, documentId = ""): JsonObject {
  const t = ctx.schema.lookupType(name);
  if (t.meta === "builtin") return builtinSchema(t, ctx.full);
  if (t.meta === "array") return { type: "array", items: typeRef(ctx, t.elementType, documentId) };
  return { $ref: `${documentId}#/definitions/${name}` };
}

/** A definition with its docs, when building for types and the doc says anything. */
function described(ctx: Context, schema: JsonObject, t: DefinableType): JsonObject {
  const description = ctx.docs && definitionDescription(t);
  return description === undefined ? schema : { ...schema, description };
}

function objectSchema(ctx: Context, t: ObjectType): JsonObject {
  const schema: JsonObject = { type: "object", ...memberSchemas(ctx, t, t.members) };
  if (!t.variants) {
    if (ctx.flavour === "input" && ctx.full) schema.additionalProperties = false;
    return schema;
  }
  // allOf keeps base and branches apart, which json-schema-to-typescript renders as Base & (A | B).
  return {
    allOf: [
      schema,
      {
        oneOf: unionBranches(
          ctx,
          t,
          t.members.map((m) => m.name),
        ),
      },
    ],
  };
}

function memberSchemas(ctx: Context, owner: ObjectType, members: ObjectMember[]): JsonObject {
  const properties: JsonObject = {};
  for (const m of members) properties[m.name] = withIf(ctx, describedMember(ctx, owner, m), m.if);
  const required = members.filter((m) => !m.optional).map((m) => m.name);
  return required.length > 0 ? { properties, required } : { properties };
}

/**
 * One branch per tag value: the ones `data` names, then the tag values it leaves out (which
 * carry no members beyond the base, as QEMU's implicit empty branch). `allowed` is every member
 * name allowed so far on the way down, for closing the branch.
 */
function unionBranches(ctx: Context, t: ObjectType, allowed: string[]): JsonObject[] {
  const { tag, variants } = t.variants as NonNullable<ObjectType["variants"]>;
  const tagEnum = tagEnumOf(ctx.schema, t, tag);
  const named = new Set(variants.map((v) => v.name));
  const branches = variants.map((v) => branch(ctx, tag, v.name, v.type, allowed, v.if));
  for (const m of tagEnum.members) {
    if (!named.has(m.name)) branches.push(branch(ctx, tag, m.name, undefined, allowed, m.if));
  }
  if (ctx.flavour === "output") {
    // A tag value this schema does not know (a newer QEMU's) must not fail every branch.
    const known = tagEnum.members.map((m) => m.name);
    branches.push({ type: "object", properties: { [tag]: { not: { enum: known } } } });
  }
  return branches;
}

function tagEnumOf(schema: Schema, t: ObjectType, tag: string): EnumType {
  const member = t.members.find((m) => m.name === tag);
  const tagType = member && schema.lookupType(member.type);
  if (tagType?.meta !== "enum") throw new Error(`union '${t.name}': tag '${tag}' is not an enum member`);
  return tagType;
}

function branch(
  ctx: Context,
  tag: string,
  value: string,
  typeName: string | undefined,
  allowed: string[],
  cond: IfCondition | undefined,
): JsonObject {
  const variantType = typeName === undefined ? undefined : ctx.schema.lookupType(typeName);
  if (variantType !== undefined && variantType.meta !== "object") {
    throw new Error(`union branch '${value}' has non-object type '${typeName}'`);
  }
  const members = variantType?.members ?? [];
  const own: JsonObject =
    variantType === undefined ? { properties: {} } : memberSchemas(ctx, variantType, members);
  const schema: JsonObject = {
    type: "object",
    properties: { [tag]: { const: value }, ...(own.properties as JsonObject) },
    required: [tag, ...((own.required as string[] | undefined) ?? [])],
  };
  const names = [...allowed, ...members.map((m) => m.name)];
  if (variantType?.variants) schema.allOf = [{ oneOf: unionBranches(ctx, variantType, names) }];
  else if (ctx.flavour === "input" && ctx.full) schema.propertyNames = { enum: names };
  return withIf(ctx, schema, cond);
}

function withIf(ctx: Context, schema: JsonObject, cond: IfCondition | undefined): JsonObject {
  if (!ctx.full || cond === undefined) return schema;
  return { ...schema, "x-if": cond as JsonValue };
}

/**
 * A member's schema with its docs, when building for types. A `$ref` takes no sibling keywords
 * (json-schema-to-typescript would inline the referenced type), so a documented reference is
 * wrapped in a one-element `allOf`, which still renders as the type's name.
 */
function describedMember(ctx: Context, owner: ObjectType, member: ObjectMember): JsonObject {
  const schema = typeRef(ctx, member.type);
  if (ctx.docs === undefined) return schema;
  const description = memberDescription(member, ctx.docs.get(declaringType(ctx.schema, owner, member).name));
  if (description === undefined) return schema;
  if (schema.$ref !== undefined) return { allOf: [schema], description };
  // `any` has no keyword of its own; json-schema-to-typescript would read a lone description as
  // an object, so the type is spelled out with its `tsType` (types only, never given to ajv).
  if (Object.keys(schema).length === 0) return { tsType: "unknown", description };
  return { ...schema, description };
}

/** The type that declares `member` of `owner`: owner itself, or a base up the chain. */
function declaringType(schema: Schema, owner: ObjectType, member: ObjectMember): ObjectType {
  if (owner.localMembers.includes(member) || owner.base === undefined) return owner;
  const base = schema.lookupType(owner.base);
  return base.meta === "object" ? declaringType(schema, base, member) : owner;
}
