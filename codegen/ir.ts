/**
 * The typed intermediate representation: the schema after resolution and every check. Emitters
 * only ever see a `Schema`; anything they find in it is known to be valid. References between
 * entities are by name and always resolve through `Schema.lookup`.
 */
import type { SchemaDoc } from "./doc.ts";
import type { SourceInfo } from "./source-info.ts";

/** A QAPI `if` condition. A plain string is a config symbol such as "CONFIG_LINUX". */
export type IfCondition = string | { all: IfCondition[] } | { any: IfCondition[] } | { not: IfCondition };

export interface Feature {
  name: string;
  if: IfCondition | undefined;
  info: SourceInfo | undefined;
}

interface EntityCommon {
  name: string;
  /** `undefined` for built-ins and the implicit array types of built-ins. */
  info: SourceInfo | undefined;
  if: IfCondition | undefined;
  features: Feature[];
  doc: SchemaDoc | undefined;
}

/** The JSON type a QAPI type travels as; "value" is anything (`any`). */
export type JsonType = "string" | "int" | "number" | "boolean" | "null" | "object" | "array" | "value";

export interface BuiltinType extends EntityCommon {
  meta: "builtin";
  jsonType: JsonType;
  /** For sized integers: inclusive bounds ("size" and "uint64" are unsigned 64-bit). */
  range?: { min: bigint; max: bigint };
}

export interface EnumMember {
  name: string;
  if: IfCondition | undefined;
  features: Feature[];
  info: SourceInfo | undefined;
}

export interface EnumType extends EntityCommon {
  meta: "enum";
  members: EnumMember[];
  prefix: string | undefined;
}

/** `['Foo']` in the schema: the entity is named "FooList". */
export interface ArrayType extends EntityCommon {
  meta: "array";
  elementType: string;
}

export interface ObjectMember {
  name: string;
  type: string;
  optional: boolean;
  if: IfCondition | undefined;
  features: Feature[];
  info: SourceInfo | undefined;
}

export interface Variant {
  /** The discriminator value (union) or the branch name (alternate). */
  name: string;
  type: string;
  if: IfCondition | undefined;
  info: SourceInfo | undefined;
}

export interface ObjectType extends EntityCommon {
  meta: "object";
  /** Base struct name (for unions, possibly an implicit `q_obj_X-base`). */
  base: string | undefined;
  /** Members declared here, without the base's. */
  localMembers: ObjectMember[];
  /** All members on the wire before the variant part: base members first, then local ones. */
  members: ObjectMember[];
  /** Present for unions: the tag member's name and one variant per branch given in `data`. */
  variants: { tag: string; variants: Variant[] } | undefined;
  /** Implicit objects are the anonymous argument/base types (`q_obj_migrate-arg`, ...). */
  implicit: boolean;
  /** "struct", "union", or "implicit" for implicit objects. */
  kind: "struct" | "union" | "implicit";
}

export interface AlternateType extends EntityCommon {
  meta: "alternate";
  variants: Variant[];
}

export interface Command extends EntityCommon {
  meta: "command";
  /** Argument object type (often implicit), or undefined for no arguments. */
  argType: string | undefined;
  retType: string | undefined;
  boxed: boolean;
  gen: boolean;
  successResponse: boolean;
  allowOob: boolean;
  allowPreconfig: boolean;
  coroutine: boolean;
}

export interface Event extends EntityCommon {
  meta: "event";
  argType: string | undefined;
  boxed: boolean;
}

/**
 * The jobshim extension: a state machine over an enum's values (see docs/state-machines.md).
 * A machine may refine another one: each of its states maps to a state of the refined machine,
 * its transitions must map to paths legal there, and its verb table must be a subset.
 */
export interface StateMachine extends EntityCommon {
  meta: "state-machine";
  /** The enum whose values are the states. */
  states: string;
  /** The enum whose values are the verbs, if the machine has a verb table. */
  verbs: string | undefined;
  initial: string | undefined;
  /** from state → its outgoing transitions; every state has a row (possibly empty). */
  transitions: Record<string, Transition[]>;
  /** verb → states in which it is allowed, in enum order; every verb has a row. */
  verbTable: Record<string, string[]>;
  refinement:
    | {
        /** Name of the refined machine. */
        machine: string;
        /** own state → state of the refined machine; `null` = outside it (e.g. migration "none" = no job). */
        stateMap: Record<string, string | null>;
        /** own verb name → verb of the refined machine. */
        verbMap: Record<string, string>;
      }
    | undefined;
}

export interface Transition {
  to: string;
  /**
   * For a refining machine: the intermediate states of the refined machine passed on the way
   * (e.g. migration active → completed is job running → waiting → pending → concluded, so via is
   * ["waiting", "pending"]). Empty when the mapped states are equal or directly connected.
   */
  via: string[];
  if: IfCondition | undefined;
}

export type SchemaType = BuiltinType | EnumType | ArrayType | ObjectType | AlternateType;
export type Entity = SchemaType | Command | Event | StateMachine;

export interface Schema {
  /** Every entity in definition order: built-ins first, then the schema's, implicit types where QEMU's generator creates them. */
  entities: Entity[];
  lookup(name: string): Entity | undefined;
  /** Like lookup, but throws for a name that is not a type. */
  lookupType(name: string): SchemaType;
  /** Free-form doc blocks, for documentation emitters. */
  freeDocs: SchemaDoc[];
  /** Every schema file read. */
  files: string[];
}
