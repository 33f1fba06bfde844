/**
 * A small IR `Schema` built by hand for the emitter tests (no parser or checker involved), the
 * equivalent of test/fixtures/schemas/types-fixture.json. It covers a struct with a base, an
 * enum with a conditional value, a flat union with a left-out branch, an alternate, arrays,
 * sized integers, commands (plain, boxed, no-arg, array return, flags) and events.
 */
import type {
  AlternateType,
  ArrayType,
  BuiltinType,
  Command,
  EnumType,
  Event,
  IfCondition,
  JsonType,
  ObjectMember,
  ObjectType,
  Schema,
  SchemaType,
} from "../../codegen/ir.ts";

const common = { info: undefined, if: undefined, features: [], doc: undefined };

function builtin(name: string, jsonType: JsonType, range?: { min: bigint; max: bigint }): BuiltinType {
  return { ...common, meta: "builtin", name, jsonType, ...(range ? { range } : {}) };
}

function member(name: string, type: string, optional = false, cond?: IfCondition): ObjectMember {
  return { name, type, optional, if: cond, features: [], info: undefined };
}

function struct(name: string, members: ObjectMember[], extra: Partial<ObjectType> = {}): ObjectType {
  return {
    ...common,
    meta: "object",
    name,
    base: undefined,
    localMembers: members,
    members,
    variants: undefined,
    implicit: false,
    kind: "struct",
    ...extra,
  };
}

function enumType(name: string, values: (string | [string, IfCondition])[]): EnumType {
  const members = values.map((v) => {
    const [n, cond] = typeof v === "string" ? [v, undefined] : v;
    return { name: n, if: cond, features: [], info: undefined };
  });
  return { ...common, meta: "enum", name, members, prefix: undefined };
}

function array(elementType: string): ArrayType {
  return { ...common, meta: "array", name: `${elementType}List`, elementType };
}

function command(name: string, extra: Partial<Command> = {}): Command {
  return {
    ...common,
    meta: "command",
    name,
    argType: undefined,
    retType: undefined,
    boxed: false,
    gen: true,
    successResponse: true,
    allowOob: false,
    allowPreconfig: false,
    coroutine: false,
    ...extra,
  };
}

function event(name: string, argType: string | undefined, extra: Partial<Event> = {}): Event {
  return { ...common, meta: "event", name, argType, boxed: false, ...extra };
}

function implicit(name: string, members: ObjectMember[]): ObjectType {
  return struct(name, members, { implicit: true, kind: "implicit" });
}

export function handBuiltSchema(): Schema {
  const types: SchemaType[] = [
    builtin("str", "string"),
    builtin("int", "int", { min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    builtin("uint8", "int", { min: 0n, max: 255n }),
    builtin("uint64", "int", { min: 0n, max: 2n ** 64n - 1n }),
    builtin("number", "number"),
    builtin("bool", "boolean"),
    builtin("any", "value"),
    builtin("null", "null"),
    array("str"),
    implicit("q_empty", []),
    enumType("Colour", ["red", "green", ["blue", "CONFIG_BLUE"]]),
    struct("Base", [member("id", "str"), member("colour", "Colour")]),
    struct(
      "Point",
      [member("id", "str"), member("colour", "Colour"), member("x", "int"), member("y", "uint8", true)],
      {
        base: "Base",
        localMembers: [member("x", "int"), member("y", "uint8", true)],
      },
    ),
    array("Point"),
    struct("Red", [member("shade", "uint64"), member("tags", "strList", true, { not: "CONFIG_NO_TAGS" })]),
    struct("Green", [member("leaf", "bool")]),
    implicit("q_obj_Shape-base", [member("id", "str"), member("colour", "Colour")]),
    struct("Shape", [member("id", "str"), member("colour", "Colour")], {
      base: "q_obj_Shape-base",
      localMembers: [],
      kind: "union",
      variants: {
        tag: "colour",
        variants: [
          { name: "red", type: "Red", if: undefined, info: undefined },
          { name: "green", type: "Green", if: undefined, info: undefined },
        ],
      },
    }),
    { ...common, meta: "alternate", name: "Size", variants: altBranches() } satisfies AlternateType,
    implicit("q_obj_draw-arg", [
      member("shape", "Shape"),
      member("size", "Size", true),
      member("extra", "any", true),
    ]),
    implicit("q_obj_MOVED-arg", [member("to", "Point"), member("when", "number", true)]),
  ];
  const operations = [
    command("draw", { argType: "q_obj_draw-arg", retType: "PointList", allowOob: true }),
    command("reset", { allowPreconfig: true, successResponse: false, coroutine: true }),
    command("place", {
      argType: "Point",
      retType: "str",
      boxed: true,
      if: { all: ["CONFIG_A", "CONFIG_B"] },
    }),
    event("MOVED", "q_obj_MOVED-arg", { features: [{ name: "deprecated", if: undefined, info: undefined }] }),
    event("RESET", undefined),
  ];
  return schemaOf([...types, ...operations]);
}

function altBranches(): AlternateType["variants"] {
  return [
    { name: "exact", type: "int", if: undefined, info: undefined },
    { name: "named", type: "Colour", if: undefined, info: undefined },
    { name: "box", type: "Point", if: "CONFIG_BOX", info: undefined },
    { name: "none", type: "null", if: undefined, info: undefined },
  ];
}

export function schemaOf(entities: Schema["entities"]): Schema {
  const byName = new Map(entities.map((e) => [e.name, e]));
  return {
    entities,
    lookup: (name) => byName.get(name),
    lookupType(name) {
      const e = byName.get(name);
      if (!e || e.meta === "command" || e.meta === "event" || e.meta === "state-machine") {
        throw new Error(`not a type: '${name}'`);
      }
      return e;
    },
    freeDocs: [],
    files: ["hand-built"],
  };
}
