/**
 * The semantic checks of QEMU 7.2's schema.py, with its messages, over the defined entities in
 * definition order: every referenced type exists and has the right kind, members do not clash
 * (also not as C names: 'a-b' and 'a_b'), bases are structs, unions' discriminators are proper
 * enum members, alternates can tell their branches apart on the wire, no struct contains itself.
 * Each entity's doc comment is connected to its members and features, then checked. Also fills in
 * what only resolution knows: an object's full member list, a union's implicit empty branches, an
 * array's condition.
 */
import type { Pragma } from "./ast.ts";
import { EMPTY_OBJECT } from "./builtins.ts";
import { cName } from "./check-names.ts";
import type { QapiDialect } from "./dialect.ts";
import type { SchemaDoc } from "./doc.ts";
import type {
  AlternateType,
  ArrayType,
  Command,
  Entity,
  EnumType,
  Event,
  Feature,
  ObjectMember,
  ObjectType,
  Schema,
  SchemaType,
  Variant,
} from "./ir.ts";
import { describe, describeMember, type SchemaIndex } from "./schema-index.ts";
import { SchemaError, type SourceInfo } from "./source-info.ts";
import { checkStateMachine } from "./state-machine-ir.ts";

/** Features QEMU itself gives meaning to; types cannot have them. */
const SPECIAL_FEATURES = ["deprecated", "unstable"];

/** A member-like thing for clash checks: object members, enum values, branches, features. */
interface Named {
  name: string;
}

export function checkSchema(index: SchemaIndex, pragma: Pragma, schema: Schema, dialect: QapiDialect): void {
  const checker = new Checker(index, pragma, dialect);
  for (const entity of index.entities) {
    checker.check(entity);
    connectDoc(entity, index);
    // 7.2 checks each doc once its definition is checked; 10.0 only after every definition.
    if (dialect === "7.2") entity.doc?.check();
  }
  if (dialect !== "7.2") {
    for (const entity of index.entities) entity.doc?.check();
    checkFeatureCount(index);
  }
  for (const entity of index.entities) if (entity.meta === "state-machine") checkStateMachine(entity, schema);
}

class Checker {
  /** Objects whose check started; "done" once complete (a second start means a cycle). */
  private readonly objectState = new Map<ObjectType, "checking" | "done">();

  constructor(
    private readonly index: SchemaIndex,
    private readonly pragma: Pragma,
    private readonly dialect: QapiDialect,
  ) {}

  check(entity: Entity): void {
    switch (entity.meta) {
      case "builtin":
        return;
      case "enum":
        this.checkEnum(entity);
        break;
      case "array":
        this.checkArray(entity);
        break;
      case "object":
        this.checkObject(entity);
        break;
      case "alternate":
        this.checkAlternate(entity);
        break;
      case "command":
        this.checkCommand(entity);
        break;
      case "event":
        this.checkEvent(entity);
        break;
      case "state-machine":
        this.checkFeatureClash(entity.features, entity.info);
        break;
    }
  }

  private definedIn(thing: object): string {
    return this.index.definedIn.get(thing) ?? "";
  }

  /** Adds `things` to `seen` by C name; a second thing with the same C name is a clash. */
  private clash(
    role: string,
    things: readonly Named[],
    info: SourceInfo | undefined,
    seen: Map<string, Named>,
  ): void {
    for (const thing of things) {
      const key = cName(thing.name);
      const previous = seen.get(key);
      if (previous) {
        const it = describeMember(role, thing.name, this.definedIn(thing), info);
        const other = describeMember(role, previous.name, this.definedIn(previous), info);
        throw new SchemaError(info, `${it} collides with ${other}`);
      }
      seen.set(key, thing);
    }
  }

  private checkFeatureClash(features: Feature[], info: SourceInfo | undefined): void {
    this.clash("feature", features, info, new Map());
  }

  private checkTypeCommon(type: SchemaType): void {
    this.checkFeatureClash(type.features, type.info);
    const special = type.features.find((f) => SPECIAL_FEATURES.includes(f.name));
    if (special) throw new SchemaError(type.info, `feature '${special.name}' is not supported for types`);
  }

  private checkEnum(type: EnumType): void {
    this.checkTypeCommon(type);
    this.clash("value", type.members, type.info, new Map());
  }

  private checkArray(type: ArrayType): void {
    this.checkTypeCommon(type);
    const element = this.index.resolveType(type.elementType, type.info, type.info?.defnMeta);
    type.if = element.if;
  }

  private checkMember(
    member: ObjectMember | Variant,
    role: string,
    info: SourceInfo | undefined,
  ): SchemaType {
    const what = describeMember(role, member.name, this.definedIn(member), info);
    const type = this.index.resolveType(member.type, info, what);
    if ("features" in member) this.checkFeatureClash(member.features, info);
    return type;
  }

  private checkObject(type: ObjectType): void {
    const state = this.objectState.get(type);
    if (state === "done") return;
    // Checking an object checks the objects it embeds (base, branches); meeting itself is a cycle.
    if (state === "checking") throw new SchemaError(type.info, `object ${type.name} contains itself`);
    this.objectState.set(type, "checking");
    this.checkTypeCommon(type);
    const seen = new Map<string, Named>();
    if (type.base !== undefined) {
      const base = this.index.resolveType(type.base, type.info, "'base'");
      if (base.meta !== "object" || base.variants) {
        throw new SchemaError(type.info, `'base' requires a struct type, ${describe(base)} isn't`);
      }
      this.checkObject(base);
      this.clashObject(base, type.info, seen);
    }
    for (const member of type.localMembers) {
      this.checkMember(member, "member", type.info);
      this.clash("member", [member], type.info, seen);
    }
    const members = [...seen.values()] as ObjectMember[];
    if (type.variants) {
      this.checkBranches(type, seen);
      this.clashBranches(type, type.info, seen);
    }
    type.members = members;
    this.objectState.set(type, "done");
  }

  /** All of `type`'s wire members (and each branch's) against `seen`, reported at `info`. */
  private clashObject(type: ObjectType, info: SourceInfo | undefined, seen: Map<string, Named>): void {
    this.clash("member", type.members, info, seen);
    this.clashBranches(type, info, seen);
  }

  private clashBranches(type: ObjectType, info: SourceInfo | undefined, seen: Map<string, Named>): void {
    for (const variant of type.variants?.variants ?? []) {
      // Checked object types only (checkBranches made sure); each branch starts from the base's members.
      const branch = this.index.lookupType(variant.type) as ObjectType;
      this.clashObject(branch, info, new Map(seen));
    }
  }

  private checkBranches(type: ObjectType, seen: Map<string, Named>): void {
    const variants = type.variants;
    if (!variants) return;
    const tagName = variants.tag;
    const info = type.info;
    const tag = seen.get(cName(tagName)) as ObjectMember | undefined;
    if (!tag || tag.name !== tagName) {
      throw new SchemaError(info, `discriminator '${tagName}' is not a member of 'base'`);
    }
    const tagOwner = this.definedIn(tag);
    const where = this.index.lookupType(tagOwner)?.name.startsWith("q_")
      ? "'base'"
      : `base type '${tagOwner}'`;
    const tagType = this.index.lookupType(tag.type);
    if (tagType?.meta !== "enum") {
      throw new SchemaError(info, `discriminator member '${tagName}' of ${where} must be of enum type`);
    }
    if (tag.optional)
      throw new SchemaError(info, `discriminator member '${tagName}' of ${where} must not be optional`);
    if (tag.if !== undefined) {
      throw new SchemaError(info, `discriminator member '${tagName}' of ${where} must not be conditional`);
    }
    // Enum values without a branch get the empty object: they are valid and carry no more members.
    const covered = new Set(variants.variants.map((v) => v.name));
    for (const value of tagType.members) {
      if (covered.has(value.name)) continue;
      const variant: Variant = { name: value.name, type: EMPTY_OBJECT, if: value.if, info };
      this.index.definedIn.set(variant, tagOwner);
      variants.variants.push(variant);
    }
    if (variants.variants.length === 0) throw new SchemaError(info, "union has no branches");
    const values = new Set(tagType.members.map((m) => m.name));
    for (const variant of variants.variants) {
      const branch = this.checkMember(variant, "branch", info);
      if (!values.has(variant.name)) {
        throw new SchemaError(info, `branch '${variant.name}' is not a value of ${describe(tagType)}`);
      }
      if (branch.meta !== "object") {
        const it = describeMember("branch", variant.name, this.definedIn(variant), info);
        throw new SchemaError(info, `${it} cannot use ${describe(branch)}`);
      }
      this.checkObject(branch);
    }
  }

  private checkAlternate(type: AlternateType): void {
    this.checkTypeCommon(type);
    const info = type.info;
    const branches = type.variants.map((v) => this.checkMember(v, "branch", info));
    const seen = new Map<string, Named>();
    /** Which branch already takes JSON values of a kind. */
    const kindsSeen = new Map<string, string>();
    type.variants.forEach((variant, i) => {
      const branch = branches[i] as SchemaType;
      this.clash("branch", [variant], info, seen);
      const it = describeMember("branch", variant.name, this.definedIn(variant), info);
      const kind = wireKind(branch);
      if (!kind) throw new SchemaError(info, `${it} cannot use ${describe(branch)}`);
      for (const k of ambiguousKinds(branch, kind)) {
        const other = kindsSeen.get(k);
        if (other !== undefined) throw new SchemaError(info, `${it} can't be distinguished from '${other}'`);
        kindsSeen.set(k, variant.name);
      }
    });
  }

  /** `data` of a command or event: an object type; a union only boxed. */
  private checkArguments(entity: Command | Event, what: string): void {
    if (entity.argType === undefined) return;
    const type = this.index.resolveType(entity.argType, entity.info, `${what}'s 'data'`);
    if (type.meta !== "object")
      throw new SchemaError(entity.info, `${what}'s 'data' cannot take ${describe(type)}`);
    if (type.variants && !entity.boxed) {
      throw new SchemaError(
        entity.info,
        `${what}'s 'data' can take ${describe(type)} only with 'boxed': true`,
      );
    }
    this.checkObject(type);
    if (this.dialect !== "7.2" && !entity.boxed && type.members.some((m) => m.if !== undefined)) {
      throw new SchemaError(entity.info, `conditional ${what} arguments require 'boxed': true`);
    }
  }

  private checkCommand(command: Command): void {
    this.checkFeatureClash(command.features, command.info);
    this.checkArguments(command, "command");
    if (command.retType === undefined) return;
    const ret = this.index.resolveType(command.retType, command.info, "command's 'returns'");
    if (this.pragma.commandReturnsExceptions.includes(command.name)) return;
    // Returning a bare scalar or an array of scalars cannot be extended later; QEMU forbids it.
    const element = ret.meta === "array" ? this.index.lookupType(ret.elementType) : ret;
    if (element?.meta !== "object") {
      throw new SchemaError(command.info, `command's 'returns' cannot take ${describe(ret)}`);
    }
  }

  private checkEvent(event: Event): void {
    this.checkFeatureClash(event.features, event.info);
    this.checkArguments(event, "event");
  }
}

/** The QType an alternate dispatches on for values of this type; none for `any` and alternates. */
function wireKind(type: SchemaType): string | undefined {
  const json = type.meta === "builtin" ? type.jsonType : JSON_OF_META[type.meta];
  return json === undefined ? undefined : QTYPE_OF_JSON[json];
}

const JSON_OF_META: Record<string, string> = {
  enum: "string",
  array: "array",
  object: "object",
  alternate: "value",
};
const QTYPE_OF_JSON: Record<string, string> = {
  null: "QTYPE_QNULL",
  string: "QTYPE_QSTRING",
  number: "QTYPE_QNUM",
  int: "QTYPE_QNUM",
  boolean: "QTYPE_QBOOL",
  array: "QTYPE_QLIST",
  object: "QTYPE_QDICT",
};

/**
 * The kinds a branch could be confused with: command-line parsing (keyval) turns strings into
 * numbers and booleans, so a string branch conflicts with those, unless it is an enum whose values
 * cannot look like them.
 */
function ambiguousKinds(type: SchemaType, kind: string): string[] {
  const kinds = [kind];
  if (kind !== "QTYPE_QSTRING") return kinds;
  if (type.meta === "enum") {
    for (const value of type.members) {
      if (["on", "off"].includes(value.name)) kinds.push("QTYPE_QBOOL");
      if (/^[-+0-9.]/.test(value.name)) kinds.push("QTYPE_QNUM");
    }
  } else {
    kinds.push("QTYPE_QNUM", "QTYPE_QBOOL");
  }
  return [...new Set(kinds)];
}

/** Marks the doc comment's `@name:` sections that belong to real members and features. */
function connectDoc(entity: Entity, index: SchemaIndex): void {
  const doc = entity.doc;
  if (!doc) return;
  connectFeatures(doc, entity.features);
  switch (entity.meta) {
    case "enum":
      for (const m of entity.members) {
        doc.connectMember(m.name, m.info, "value");
        connectFeatures(doc, m.features);
      }
      break;
    case "object":
      connectImplicit(doc, entity.base, index);
      connectMembers(doc, entity.localMembers);
      break;
    case "alternate":
      for (const v of entity.variants) doc.connectMember(v.name, v.info, "branch");
      break;
    case "command":
    case "event":
      connectImplicit(doc, entity.argType, index);
      break;
  }
}

function connectFeatures(doc: SchemaDoc, features: Feature[]): void {
  for (const f of features) doc.connectFeature(f.name, f.info);
}

function connectMembers(doc: SchemaDoc, members: ObjectMember[]): void {
  for (const m of members) {
    doc.connectMember(m.name, m.info);
    connectFeatures(doc, m.features);
  }
}

/** Members of an implicit object are documented in the definition that implied it. */
function connectImplicit(doc: SchemaDoc, name: string | undefined, index: SchemaIndex): void {
  const type = name === undefined ? undefined : index.lookupType(name);
  if (type?.meta === "object" && type.implicit) connectMembers(doc, type.localMembers);
}

/**
 * QEMU 10.0 numbers every feature name of the schema as a bit in a 64-bit mask, its own special
 * features first; the 65th distinct name, in order of first use, is an error.
 */
function checkFeatureCount(index: SchemaIndex): void {
  const seen = new Map<string, SourceInfo | undefined>(SPECIAL_FEATURES.map((name) => [name, undefined]));
  for (const entity of index.entities) {
    if (entity.meta === "state-machine" || entity.meta === "array" || entity.meta === "builtin") continue;
    // QEMU locates a feature at the definition that uses it, not at its own position.
    const add = (features: Feature[]) => {
      for (const f of features) if (!seen.has(f.name)) seen.set(f.name, entity.info);
    };
    add(entity.features);
    if (entity.meta === "enum") for (const m of entity.members) add(m.features);
    if (entity.meta === "object") for (const m of entity.localMembers) add(m.features);
  }
  const names = [...seen];
  const extra = names[64];
  if (extra !== undefined) throw new SchemaError(extra[1], "Maximum of 64 schema features is permitted");
}
