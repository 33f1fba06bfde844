/**
 * The IR builder: built-ins and implicit types named and ordered as QEMU 7.2 does, resolution
 * results (members, implicit empty branches, array conditions), and every semantic check QEMU's
 * parser corpus (qemu-corpus.test.ts) does not reach, with QEMU's message (written fresh after schema.py's rules).
 */
import { describe, expect, it } from "vitest";
import { buildSchema } from "../../codegen/build-schema.ts";
import { checkExpressions } from "../../codegen/check-expressions.ts";
import type { Schema } from "../../codegen/ir.ts";
import { parseSchemaSource } from "../../codegen/parse.ts";
import { SchemaError } from "../../codegen/source-info.ts";

function build(source: string): Schema {
  const parsed = parseSchemaSource(source, "t.json");
  checkExpressions(parsed);
  return buildSchema(parsed);
}

/** The bare message of the error building `source` raises, or "" when it builds. */
function error(source: string): string {
  try {
    build(source);
    return "";
  } catch (e) {
    if (!(e instanceof SchemaError)) throw e;
    return e.bareMessage;
  }
}

const userNames = (schema: Schema) => schema.entities.filter((e) => e.info).map((e) => e.name);

describe("built-in types", () => {
  it("come first, each scalar followed by its array, then q_empty and QType", () => {
    const names = build("").entities.map((e) => e.name);
    const scalars =
      "str number int int8 int16 int32 int64 uint8 uint16 uint32 uint64 size bool any null".split(" ");
    expect(names).toEqual([...scalars.flatMap((s) => [s, `${s}List`]), "q_empty", "QType"]);
  });

  it("carry JSON types and integer ranges", () => {
    const schema = build("");
    expect(schema.lookupType("uint8")).toMatchObject({ jsonType: "int", range: { min: 0n, max: 255n } });
    expect(schema.lookupType("int64")).toMatchObject({ range: { min: -(2n ** 63n), max: 2n ** 63n - 1n } });
    expect(schema.lookupType("size")).toMatchObject({ range: { min: 0n, max: 2n ** 64n - 1n } });
    expect(schema.lookupType("any")).toMatchObject({ jsonType: "value" });
    expect(schema.lookupType("QType")).toMatchObject({ prefix: "QTYPE" });
  });

  it("cannot be redefined", () => {
    expect(error("{ 'command': 'str' }")).toBe("built-in type 'str' is already defined");
  });
});

describe("implicit types", () => {
  const schema = build(`
{ 'command': 'go', 'data': { 'list': ['Thing'], '*opt': 'str' }, 'returns': ['Thing'] }
{ 'struct': 'Thing', 'data': { 'n': 'int' } }
{ 'enum': 'Kind', 'data': [ 'a', 'b', 'c' ] }
{ 'union': 'Uni', 'base': { 'kind': 'Kind' }, 'discriminator': 'kind', 'data': { 'b': 'Thing' } }
{ 'event': 'DONE', 'data': { 'ok': 'bool' } }
{ 'command': 'none', 'data': {} }`);

  it("are defined right before their first user, in QEMU's order", () => {
    expect(userNames(schema)).toEqual([
      "ThingList",
      "q_obj_go-arg",
      "go",
      "Thing",
      "Kind",
      "q_obj_Uni-base",
      "Uni",
      "q_obj_DONE-arg",
      "DONE",
      "none",
    ]);
  });

  it("hold the inline members; an empty inline 'data' makes no type", () => {
    expect(schema.lookupType("q_obj_go-arg")).toMatchObject({
      implicit: true,
      kind: "implicit",
      members: [
        { name: "list", type: "ThingList", optional: false },
        { name: "opt", type: "str", optional: true },
      ],
    });
    expect(schema.lookup("go")).toMatchObject({ argType: "q_obj_go-arg", retType: "ThingList", gen: true });
    expect(schema.lookup("none")).toMatchObject({ argType: undefined });
  });

  it("give unions their base members and an empty branch per uncovered value", () => {
    expect(schema.lookupType("Uni")).toMatchObject({
      kind: "union",
      base: "q_obj_Uni-base",
      members: [{ name: "kind", type: "Kind" }],
      variants: {
        tag: "kind",
        variants: [
          { name: "b", type: "Thing" },
          { name: "a", type: "q_empty" },
          { name: "c", type: "q_empty" },
        ],
      },
    });
  });

  it("make arrays as conditional as their element", () => {
    const s = build(
      "{ 'struct': 'Cond', 'data': {}, 'if': 'CONFIG_X' }\n{ 'struct': 'User', 'data': { 'c': ['Cond'] } }",
    );
    expect(s.lookupType("CondList").if).toBe("CONFIG_X");
  });

  it("put base members before local ones", () => {
    const s = build(
      "{ 'struct': 'Base', 'data': { 'a': 'int' } }\n{ 'struct': 'Sub', 'base': 'Base', 'data': { 'b': 'int' } }",
    );
    expect(s.lookupType("Sub")).toMatchObject({
      members: [{ name: "a" }, { name: "b" }],
      localMembers: [{ name: "b" }],
    });
  });

  it("keep conditions and features on every level", () => {
    const s = build(
      "{ 'enum': 'Enu', 'data': [ { 'name': 'v', 'if': { 'not': 'X' }, 'features': [ 'unstable' ] } ], 'features': [ { 'name': 'f', 'if': 'Y' } ] }",
    );
    expect(s.lookupType("Enu")).toMatchObject({
      features: [{ name: "f", if: "Y" }],
      members: [{ name: "v", if: { not: "X" }, features: [{ name: "unstable" }] }],
    });
  });
});

const BASE = "{ 'enum': 'Kind', 'data': [ 'a', 'b' ] }\n{ 'struct': 'Base', 'data': { 'kind': 'Kind' } }\n";

const semanticErrors: [string, string, string][] = [
  [
    "unknown member type",
    "{ 'struct': 'Foo', 'data': { 'a': 'Nope' } }",
    "member 'a' uses unknown type 'Nope'",
  ],
  [
    "unknown parameter type",
    "{ 'command': 'c', 'data': { 'a': 'Nope' } }",
    "parameter 'a' uses unknown type 'Nope'",
  ],
  [
    "unknown array element",
    "{ 'command': 'c', 'data': { 'a': ['Nope'] } }",
    "command uses unknown type 'Nope'",
  ],
  ["unknown base", "{ 'struct': 'Foo', 'data': {}, 'base': 'Nope' }", "'base' uses unknown type 'Nope'"],
  ["unknown command data", "{ 'command': 'c', 'data': 'Nope' }", "command's 'data' uses unknown type 'Nope'"],
  [
    "unknown returns",
    "{ 'command': 'c', 'returns': 'Nope' }",
    "command's 'returns' uses unknown type 'Nope'",
  ],
  [
    "unknown alternate branch",
    "{ 'alternate': 'Alt', 'data': { 'a': 'Nope' } }",
    "branch 'a' uses unknown type 'Nope'",
  ],
  [
    "command data any",
    "{ 'command': 'c', 'data': 'any' }",
    "command's 'data' cannot take built-in type 'any'",
  ],
  [
    "event data enum",
    `${BASE}{ 'event': 'EV', 'data': 'Kind' }`,
    "event's 'data' cannot take enum type 'Kind'",
  ],
  [
    "event data union unboxed",
    `${BASE}{ 'union': 'Uni', 'base': 'Base', 'discriminator': 'kind', 'data': {} }\n{ 'event': 'EV', 'data': 'Uni' }`,
    "event's 'data' can take union type 'Uni' only with 'boxed': true",
  ],
  [
    "returns int",
    "{ 'command': 'c', 'returns': 'int' }",
    "command's 'returns' cannot take built-in type 'int'",
  ],
  [
    "returns array of str",
    "{ 'command': 'c', 'returns': ['str'] }",
    "command's 'returns' cannot take array type ['str']",
  ],
  [
    "base is an enum",
    `${BASE}{ 'struct': 'Foo', 'data': {}, 'base': 'Kind' }`,
    "'base' requires a struct type, enum type 'Kind' isn't",
  ],
  [
    "indirect base cycle",
    "{ 'struct': 'Base1', 'base': 'Base2', 'data': {} }\n{ 'struct': 'Base2', 'base': 'Base1', 'data': {} }",
    "object Base1 contains itself",
  ],
  [
    "union containing itself through a branch",
    `${BASE}{ 'union': 'Uni', 'base': 'Base', 'discriminator': 'kind', 'data': { 'a': 'Uni' } }`,
    "object Uni contains itself",
  ],
  ["feature clash", "{ 'command': 'c', 'features': [ 'f', 'f' ] }", "feature 'f' collides with feature 'f'"],
  [
    "enum value clash",
    "{ 'pragma': { 'member-name-exceptions': [ 'Enu' ] } }\n{ 'enum': 'Enu', 'data': [ 'a-b', 'a_b' ] }",
    "value 'a_b' collides with value 'a-b'",
  ],
  [
    "branch member clashes with base",
    `${BASE}{ 'struct': 'Br', 'data': { 'kind': 'str' } }\n{ 'union': 'Uni', 'base': 'Base', 'discriminator': 'kind', 'data': { 'a': 'Br' } }`,
    "member 'kind' of type 'Br' collides with member 'kind' of type 'Base'",
  ],
  [
    "branch member clashes with inline base",
    "{ 'enum': 'Kind', 'data': [ 'a' ] }\n{ 'struct': 'Br', 'data': { 'x': 'str' } }\n{ 'union': 'Uni', 'base': { 'kind': 'Kind', 'x': 'int' }, 'discriminator': 'kind', 'data': { 'a': 'Br' } }",
    "member 'x' of type 'Br' collides with base member 'x'",
  ],
  [
    "struct member clashes with base member",
    "{ 'struct': 'Base', 'data': { 'a': 'int' } }\n{ 'struct': 'Foo', 'base': 'Base', 'data': { 'a': 'str' } }",
    "member 'a' collides with member 'a' of type 'Base'",
  ],
  [
    "discriminator not an enum",
    "{ 'struct': 'Base', 'data': { 'kind': 'str' } }\n{ 'union': 'Uni', 'base': 'Base', 'discriminator': 'kind', 'data': {} }",
    "discriminator member 'kind' of base type 'Base' must be of enum type",
  ],
  [
    "discriminator missing from inline base",
    "{ 'union': 'Uni', 'base': { 'x': 'int' }, 'discriminator': 'kind', 'data': {} }",
    "discriminator 'kind' is not a member of 'base'",
  ],
  [
    "branch not a value",
    `${BASE}{ 'struct': 'Br', 'data': {} }\n{ 'union': 'Uni', 'base': 'Base', 'discriminator': 'kind', 'data': { 'z': 'Br' } }`,
    "branch 'z' is not a value of enum type 'Kind'",
  ],
  [
    "branch not an object",
    `${BASE}{ 'union': 'Uni', 'base': 'Base', 'discriminator': 'kind', 'data': { 'a': 'int' } }`,
    "branch 'a' cannot use built-in type 'int'",
  ],
  [
    "union with no branches",
    "{ 'enum': 'Nothing', 'data': [] }\n{ 'union': 'Uni', 'base': { 'k': 'Nothing' }, 'discriminator': 'k', 'data': {} }",
    "union has no branches",
  ],
  [
    "alternate branch any",
    "{ 'alternate': 'Alt', 'data': { 'a': 'any', 'b': 'int' } }",
    "branch 'a' cannot use built-in type 'any'",
  ],
  [
    "alternate two objects",
    "{ 'struct': 'One', 'data': {} }\n{ 'struct': 'Two', 'data': {} }\n{ 'alternate': 'Alt', 'data': { 'a': 'One', 'b': 'Two' } }",
    "branch 'b' can't be distinguished from 'a'",
  ],
  [
    "alternate number and int",
    "{ 'alternate': 'Alt', 'data': { 'a': 'number', 'b': 'int8' } }",
    "branch 'b' can't be distinguished from 'a'",
  ],
  [
    "alternate string and int",
    "{ 'alternate': 'Alt', 'data': { 'a': 'int', 'b': 'str' } }",
    "branch 'b' can't be distinguished from 'a'",
  ],
  [
    "alternate enum 'on' and bool",
    "{ 'enum': 'Sw', 'data': [ 'on', 'auto' ] }\n{ 'alternate': 'Alt', 'data': { 'a': 'bool', 'b': 'Sw' } }",
    "branch 'b' can't be distinguished from 'a'",
  ],
  [
    "alternate enum number-like and int",
    "{ 'enum': 'Res', 'data': [ '1080p' ] }\n{ 'alternate': 'Alt', 'data': { 'a': 'int', 'b': 'Res' } }",
    "branch 'b' can't be distinguished from 'a'",
  ],
  [
    "special feature on a type",
    "{ 'struct': 'Foo', 'data': {}, 'features': [ 'unstable' ] }",
    "feature 'unstable' is not supported for types",
  ],
];

describe("semantic checks reject", () => {
  it.each(semanticErrors)("%s", (_what, source, message) => {
    expect(error(source)).toBe(message);
  });
});

describe("semantic checks accept", () => {
  it.each([
    [
      "enum and bool branches when no value looks boolean",
      "{ 'enum': 'Sw', 'data': [ 'auto' ] }\n{ 'alternate': 'Alt', 'data': { 'a': 'bool', 'b': 'Sw', 'c': 'int', 'd': 'null', 'e': ['int'] } }",
    ],
    [
      "special features on commands and members",
      "{ 'command': 'c', 'data': { 'a': { 'type': 'int', 'features': [ 'deprecated' ] } }, 'features': [ 'unstable' ] }",
    ],
    [
      "returns-exceptions",
      "{ 'pragma': { 'command-returns-exceptions': [ 'c' ] } }\n{ 'command': 'c', 'returns': 'int' }",
    ],
    [
      "a union's data boxed into a command",
      `${BASE}{ 'union': 'Uni', 'base': 'Base', 'discriminator': 'kind', 'data': {} }\n{ 'command': 'c', 'data': 'Uni', 'boxed': true }`,
    ],
    ["recursion through an array", "{ 'struct': 'Tree', 'data': { 'kids': ['Tree'] } }"],
  ])("%s", (_what, source) => {
    expect(error(source)).toBe("");
  });
});

describe("redefinition", () => {
  it("names both places", () => {
    try {
      build("{ 'enum': 'Twice', 'data': [] }\n{ 'struct': 'Twice', 'data': {} }");
      expect.unreachable();
    } catch (e) {
      expect((e as SchemaError).message).toBe(
        "t.json: In struct 'Twice':\nt.json:2:1: 'Twice' is already defined\nt.json: In enum 'Twice':\nt.json:1:1: previous definition",
      );
    }
  });
});

describe("doc comments", () => {
  it("connect members of implicit argument types, so documenting them is fine", () => {
    expect(error("##\n# @go:\n#\n# @a: the a\n##\n{ 'command': 'go', 'data': { 'a': 'int' } }")).toBe("");
  });

  it("report documented members that do not exist", () => {
    expect(error("##\n# @go:\n#\n# @b: no such\n##\n{ 'command': 'go', 'data': { 'a': 'int' } }")).toBe(
      "documented member 'b' does not exist",
    );
  });
});

describe("Schema", () => {
  it("looks up entities and refuses non-types as types", () => {
    const schema = build("{ 'command': 'c' }");
    expect(schema.lookup("c")?.meta).toBe("command");
    expect(schema.lookup("nope")).toBeUndefined();
    expect(() => schema.lookupType("c")).toThrow();
    expect(schema.files).toEqual(["t.json"]);
  });
});
