/**
 * From shape-checked expressions to the IR: defines every entity in QEMU 7.2's order — the
 * built-ins, then each definition, with the implicit types it needs (array types `FooList`,
 * argument objects `q_obj_<command>-arg`, union bases `q_obj_<Union>-base`) defined right before
 * it, exactly where QEMU's generator defines them (introspection masks names in order of first
 * use, so the order is observable). Then check-schema resolves and checks everything.
 */
import type { ParsedSchema, PositionMap, QapiObject, QapiValue } from "./ast.ts";
import { builtinScalars, emptyObject, qtypeEnum } from "./builtins.ts";
import { toIfCondition } from "./check-conditions.ts";
import { enumMemberSpec, featureSpec, isObject, memberSpec, metaOf } from "./check-expressions.ts";
import { checkSchema } from "./check-schema.ts";
import type { QapiDialect } from "./dialect.ts";
import type { SchemaDoc } from "./doc.ts";
import type { Entity, Feature, IfCondition, ObjectMember, ObjectType, Schema, Variant } from "./ir.ts";
import { SchemaIndex } from "./schema-index.ts";
import { SchemaError, type SourceInfo } from "./source-info.ts";
import { buildStateMachine } from "./state-machine-ir.ts";

/** Builds and checks the IR. Expects `checkExpressions(parsed)` to have passed. Throws SchemaError. */
export function buildSchema(parsed: ParsedSchema): Schema {
  const index = new SchemaIndex();
  defineBuiltins(index, parsed.dialect);
  const builder = new Definer(index, parsed.positions);
  for (const expression of parsed.expressions)
    builder.define(expression.expr, expression.info, expression.doc);
  const schema: Schema = {
    entities: index.entities,
    lookup: (name) => index.lookup(name),
    lookupType(name) {
      const type = index.lookupType(name);
      if (!type) throw new Error(`'${name}' is not a type of this schema`);
      return type;
    },
    freeDocs: parsed.freeDocs,
    files: parsed.files,
  };
  checkSchema(index, parsed.pragma, schema, parsed.dialect);
  return schema;
}

function defineBuiltins(index: SchemaIndex, dialect: QapiDialect): void {
  for (const scalar of builtinScalars()) {
    index.define(scalar);
    // QEMU defines the array of every built-in, used or not (their C code is shared).
    index.define(arrayType(scalar.name, undefined));
  }
  index.define(emptyObject());
  const qtype = qtypeEnum(dialect);
  for (const member of qtype.members) index.definedIn.set(member, qtype.name);
  index.define(qtype);
}

function arrayType(elementType: string, info: SourceInfo | undefined): Entity {
  return {
    meta: "array",
    name: `${elementType}List`,
    elementType,
    info,
    // The array is as conditional as its element; check-schema copies it once the element is known.
    if: undefined,
    features: [],
    doc: undefined,
  };
}

/** Turns one expression into its entities (and the implicit ones it needs). */
class Definer {
  constructor(
    private readonly index: SchemaIndex,
    private readonly positions: PositionMap,
  ) {}

  define(expr: QapiObject, info: SourceInfo, doc: SchemaDoc | undefined): void {
    const meta = metaOf({ expr, info, doc });
    const name = expr[meta] as string;
    const common = { name, info, doc, if: toIfCondition(expr.if) };
    switch (meta) {
      case "enum":
        this.defineEnum(expr, common);
        break;
      case "struct":
        this.defineStruct(expr, common);
        break;
      case "union":
        this.defineUnion(expr, common);
        break;
      case "alternate":
        this.defineAlternate(expr, common);
        break;
      case "command":
        this.defineCommand(expr, common);
        break;
      case "event":
        this.defineEvent(expr, common);
        break;
      case "state-machine":
        this.index.define(buildStateMachine(expr, info, doc));
        break;
    }
  }

  private defineEnum(expr: QapiObject, common: Common): void {
    const features = this.features(expr.features, common.info, common.name);
    const data = expr.data as QapiValue[];
    const members = data.map((value, i) => {
      const spec = enumMemberSpec(value);
      const name = spec.name as string;
      const member = {
        name,
        if: toIfCondition(spec.if),
        features: this.features(spec.features, common.info, name),
        info: this.position(common.info, data, String(i)),
      };
      this.index.definedIn.set(member, common.name);
      return member;
    });
    this.index.define({
      name: common.name,
      info: common.info,
      doc: common.doc,
      if: common.if,
      meta: "enum",
      features,
      members,
      prefix: expr.prefix as string | undefined,
    });
  }

  private defineStruct(expr: QapiObject, common: Common): void {
    const features = this.features(expr.features, common.info, common.name);
    if (!isObject(expr.data)) throw new SchemaError(common.info, "'data' must be an object");
    const localMembers = this.members(expr.data, common.info, common.name);
    this.index.define(objectType(common, features, expr.base as string | undefined, localMembers, "struct"));
  }

  private defineUnion(expr: QapiObject, common: Common): void {
    const features = this.features(expr.features, common.info, common.name);
    const base = isObject(expr.base) ? this.implicitObject(common, "base", expr.base) : (expr.base as string);
    const data = expr.data as QapiObject;
    const variants = this.variants(data, common);
    const union = objectType(common, features, base, [], "union");
    union.variants = { tag: expr.discriminator as string, variants };
    this.index.define(union);
  }

  private defineAlternate(expr: QapiObject, common: Common): void {
    const features = this.features(expr.features, common.info, common.name);
    const variants = this.variants(expr.data as QapiObject, common);
    const { name, info, doc } = common;
    this.index.define({ name, info, doc, if: common.if, meta: "alternate", features, variants });
  }

  private defineCommand(expr: QapiObject, common: Common): void {
    const features = this.features(expr.features, common.info, common.name);
    const argType = this.arguments(expr.data, common);
    const returns = expr.returns;
    const retType = returns === undefined ? undefined : this.typeRef(returns, common.info);
    this.index.define({
      name: common.name,
      info: common.info,
      doc: common.doc,
      if: common.if,
      meta: "command",
      features,
      argType,
      retType,
      boxed: expr.boxed === true,
      gen: expr.gen !== false,
      successResponse: expr["success-response"] !== false,
      allowOob: expr["allow-oob"] === true,
      allowPreconfig: expr["allow-preconfig"] === true,
      coroutine: expr.coroutine === true,
    });
  }

  private defineEvent(expr: QapiObject, common: Common): void {
    const features = this.features(expr.features, common.info, common.name);
    const argType = this.arguments(expr.data, common);
    const { name, info, doc } = common;
    this.index.define({
      name,
      info,
      doc,
      if: common.if,
      meta: "event",
      features,
      argType,
      boxed: expr.boxed === true,
    });
  }

  /** `data` of a command or event: a type name, or inline members (an implicit object). */
  private arguments(data: QapiValue | undefined, common: Common): string | undefined {
    return isObject(data) ? this.implicitObject(common, "arg", data) : (data as string | undefined);
  }

  /** `q_obj_<owner>-<role>`; none when there are no members (QEMU then has no type at all). */
  private implicitObject(common: Common, role: "arg" | "base", data: QapiObject): string | undefined {
    const name = `q_obj_${common.name}-${role}`;
    const members = this.members(data, common.info, name);
    if (members.length === 0) return undefined;
    // A second user can only be a duplicate definition, which define() reports next.
    if (!this.index.lookup(name)) {
      const implicit = { name, info: common.info, doc: undefined, if: common.if };
      this.index.define(objectType(implicit, [], undefined, members, "implicit"));
    }
    return name;
  }

  private members(data: QapiObject, info: SourceInfo, definedIn: string): ObjectMember[] {
    return Object.entries(data).map(([key, value]) => {
      const spec = memberSpec(value);
      const optional = key.startsWith("*");
      const name = optional ? key.slice(1) : key;
      const member: ObjectMember = {
        name,
        type: this.typeRef(spec.type as QapiValue, info),
        optional,
        if: toIfCondition(spec.if),
        features: this.features(spec.features, info, name),
        info: this.position(info, data, key),
      };
      this.index.definedIn.set(member, definedIn);
      return member;
    });
  }

  private variants(data: QapiObject, common: Common): Variant[] {
    return Object.entries(data).map(([name, value]) => {
      const spec = memberSpec(value);
      const variant: Variant = {
        name,
        type: this.typeRef(spec.type as QapiValue, common.info),
        if: toIfCondition(spec.if),
        info: this.position(common.info, data, name),
      };
      this.index.definedIn.set(variant, common.name);
      return variant;
    });
  }

  private features(list: QapiValue | undefined, info: SourceInfo, definedIn: string): Feature[] {
    if (!Array.isArray(list)) return [];
    return list.map((value, i) => {
      const spec = featureSpec(value);
      const feature = {
        name: spec.name as string,
        if: toIfCondition(spec.if),
        info: this.position(info, list, String(i)),
      };
      this.index.definedIn.set(feature, definedIn);
      return feature;
    });
  }

  /** A type name, or `[name]`: the array type, defined on first use. */
  private typeRef(value: QapiValue, info: SourceInfo): string {
    if (!Array.isArray(value)) return value as string;
    const element = value[0] as string;
    const name = `${element}List`;
    if (!this.index.lookupType(name)) this.index.define(arrayType(element, info));
    return name;
  }

  /** Where a member sits, when the parser recorded it; else the definition's location. */
  private position(info: SourceInfo, holder: object, key: string): SourceInfo {
    const pos = this.positions.get(holder)?.get(key);
    return pos ? info.at(pos.line, pos.col) : info;
  }
}

interface Common {
  name: string;
  info: SourceInfo;
  doc: SchemaDoc | undefined;
  if: IfCondition | undefined;
}

function objectType(
  common: Common,
  features: Feature[],
  base: string | undefined,
  localMembers: ObjectMember[],
  kind: ObjectType["kind"],
): ObjectType {
  return {
    name: common.name,
    info: common.info,
    doc: common.doc,
    if: common.if,
    meta: "object",
    features,
    base,
    localMembers,
    members: [],
    variants: undefined,
    implicit: kind === "implicit",
    kind,
  };
}
