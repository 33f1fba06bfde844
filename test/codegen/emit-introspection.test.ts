import { describe, expect, it } from "vitest";
import {
  buildIntrospection,
  emitIntrospection,
  evaluateCondition,
} from "../../codegen/emit-introspection.ts";
import type {
  AlternateType,
  ArrayType,
  BuiltinType,
  Command,
  Entity,
  EnumType,
  Event,
  Feature,
  IfCondition,
  JsonType,
  ObjectMember,
  ObjectType,
  Schema,
  SchemaType,
} from "../../codegen/ir.ts";
import { SourceInfo } from "../../codegen/source-info.ts";

// A hand-built IR, so these tests do not depend on the schema front end.
const common = (name: string, cond?: IfCondition, features: Feature[] = []) => ({
  name,
  info: undefined,
  if: cond,
  features,
  doc: undefined,
});
const feature = (name: string, cond?: IfCondition): Feature => ({ name, if: cond, info: undefined });
const builtin = (name: string, jsonType: JsonType): BuiltinType => ({
  ...common(name),
  meta: "builtin",
  jsonType,
});
const array = (element: string, cond?: IfCondition): ArrayType => ({
  ...common(`${element}List`, cond),
  meta: "array",
  elementType: element,
});
const member = (name: string, type: string, extra: Partial<ObjectMember> = {}): ObjectMember => ({
  name,
  type,
  optional: false,
  if: undefined,
  features: [],
  info: undefined,
  ...extra,
});
const struct = (name: string, members: ObjectMember[], extra: Partial<ObjectType> = {}): ObjectType => ({
  ...common(name),
  meta: "object",
  base: undefined,
  localMembers: members,
  members,
  variants: undefined,
  implicit: name.startsWith("q_"),
  kind: name.startsWith("q_") ? "implicit" : "struct",
  ...extra,
});
const enumType = (
  name: string,
  values: (string | [string, IfCondition])[],
  extra: Partial<EnumType> = {},
): EnumType => ({
  ...common(name),
  meta: "enum",
  prefix: undefined,
  members: values.map((v) => ({
    name: typeof v === "string" ? v : v[0],
    if: typeof v === "string" ? undefined : v[1],
    features: [],
    info: undefined,
  })),
  ...extra,
});
const command = (name: string, extra: Partial<Command> = {}): Command => ({
  ...common(name),
  meta: "command",
  argType: undefined,
  retType: undefined,
  boxed: false,
  gen: true,
  successResponse: true,
  allowOob: false,
  allowPreconfig: false,
  coroutine: false,
  ...extra,
});
const event = (name: string, extra: Partial<Event> = {}): Event => ({
  ...common(name),
  meta: "event",
  argType: undefined,
  boxed: false,
  ...extra,
});

const BUILTINS: BuiltinType[] = [
  builtin("str", "string"),
  builtin("int", "int"),
  builtin("int8", "int"),
  builtin("uint64", "int"),
  builtin("size", "int"),
  builtin("number", "number"),
  builtin("bool", "boolean"),
  builtin("null", "null"),
  builtin("any", "value"),
];

/** Like the front end's schemas: built-ins, their arrays and `q_empty` always exist. */
function makeSchema(entities: Entity[]): Schema {
  const all: Entity[] = [
    ...BUILTINS,
    ...BUILTINS.map((b) => array(b.name)),
    struct("q_empty", []),
    ...entities,
  ];
  const byName = new Map(all.map((e) => [e.name, e]));
  return {
    entities: all,
    lookup: (name) => byName.get(name),
    lookupType: (name) => {
      const e = byName.get(name);
      if (!e || e.meta === "command" || e.meta === "event" || e.meta === "state-machine") {
        throw new Error(`not a type: ${name}`);
      }
      return e as SchemaType;
    },
    freeDocs: [],
    files: [],
  };
}

const names = (entries: { name: string }[]) => entries.map((e) => e.name);

describe("emitIntrospection", () => {
  it("lists commands and events in schema order, then types masked in order of first use", () => {
    const schema = makeSchema([
      struct("Unused", [member("x", "str")]),
      struct("Info", [member("status", "Status"), member("when", "int")]),
      enumType("Status", ["idle", "busy"]),
      struct("q_obj_go-arg", [member("speed", "int"), member("info", "Info")]),
      event("DONE", { argType: "Info" }),
      command("go", { argType: "q_obj_go-arg", retType: "Info" }),
      command("ping"),
    ]);
    const { entries, realNames } = buildIntrospection(schema);
    expect(names(entries)).toEqual(["DONE", "go", "ping", "0", "1", "2", "3", "int"]);
    expect(entries[0]).toEqual({ name: "DONE", "meta-type": "event", "arg-type": "0" });
    expect(entries[1]).toEqual({ name: "go", "meta-type": "command", "arg-type": "1", "ret-type": "0" });
    expect(entries[2]).toEqual({ name: "ping", "meta-type": "command", "arg-type": "2", "ret-type": "2" });
    expect([...realNames]).toEqual([
      ["0", "Info"],
      ["1", "q_obj_go-arg"],
      ["2", "q_empty"],
      ["3", "Status"],
    ]);
    expect(entries[3]).toEqual({
      name: "0",
      "meta-type": "object",
      members: [
        { name: "status", type: "3" },
        { name: "when", type: "int" },
      ],
    });
    expect(entries[5]).toEqual({ name: "2", "meta-type": "object", members: [] });
    expect(entries[6]).toEqual({
      name: "3",
      "meta-type": "enum",
      members: [{ name: "idle" }, { name: "busy" }],
      values: ["idle", "busy"],
    });
    expect(entries[7]).toEqual({ name: "int", "meta-type": "builtin", "json-type": "int" });
  });

  it("drops types no command or event reaches", () => {
    const schema = makeSchema([
      struct("Unused", [member("x", "number")]),
      enumType("Lonely", ["a"]),
      command("ping"),
    ]);
    const { entries, realNames } = buildIntrospection(schema, { unmask: true });
    expect(names(entries)).toEqual(["ping", "q_empty"]);
    expect(realNames.size).toBe(0);
  });

  it("collapses every integer type to int, and integer arrays to [int]", () => {
    const schema = makeSchema([
      struct("Sizes", [
        member("a", "int8"),
        member("b", "uint64"),
        member("c", "size"),
        member("d", "uint64List"),
        member("e", "int8List"),
        member("f", "strList"),
      ]),
      command("sizes", { retType: "Sizes" }),
    ]);
    const { entries } = buildIntrospection(schema);
    const sizes = entries.find((e) => e.name === "1");
    expect(sizes?.members).toEqual([
      { name: "a", type: "int" },
      { name: "b", type: "int" },
      { name: "c", type: "int" },
      { name: "d", type: "[int]" },
      { name: "e", type: "[int]" },
      { name: "f", type: "[str]" },
    ]);
    const builtinsAndArrays = entries.filter(
      (e) => e["meta-type"] === "builtin" || e["meta-type"] === "array",
    );
    expect(builtinsAndArrays).toEqual([
      { name: "int", "meta-type": "builtin", "json-type": "int" },
      { name: "[int]", "meta-type": "array", "element-type": "int" },
      { name: "[str]", "meta-type": "array", "element-type": "str" },
      { name: "str", "meta-type": "builtin", "json-type": "string" },
    ]);
  });

  it("names arrays of schema types after their masked element", () => {
    const schema = makeSchema([
      struct("Item", [member("id", "str")]),
      array("Item"),
      command("list", { retType: "ItemList" }),
    ]);
    const { entries } = buildIntrospection(schema);
    expect(entries.find((e) => e.name === "list")?.["ret-type"]).toBe("[1]");
    expect(entries.find((e) => e["meta-type"] === "array")).toEqual({
      name: "[1]",
      "meta-type": "array",
      "element-type": "1",
    });
  });

  it("keeps real names with unmask", () => {
    const schema = makeSchema([
      struct("Info", [member("tag", "Kind", { optional: true })]),
      enumType("Kind", ["x"]),
      command("get", { retType: "Info" }),
    ]);
    const { entries } = buildIntrospection(schema, { unmask: true });
    expect(names(entries)).toEqual(["get", "q_empty", "Info", "Kind"]);
    expect(entries[2]?.members).toEqual([{ name: "tag", type: "Kind", default: null }]);
  });

  it("describes unions, alternates, features and allow-oob as QEMU does", () => {
    const base = [member("kind", "Kind"), member("id", "str", { optional: true })];
    const schema = makeSchema([
      enumType("Kind", ["a", "b"], { features: [feature("unstable")] }),
      struct("BranchA", [member("x", "bool", { features: [feature("deprecated")] })]),
      struct("U", [], {
        members: base,
        kind: "union",
        variants: {
          tag: "kind",
          variants: [{ name: "a", type: "BranchA", if: undefined, info: undefined }],
        },
      }),
      {
        ...common("Alt", undefined, [feature("f1")]),
        meta: "alternate",
        variants: [
          { name: "s", type: "str", if: undefined, info: undefined },
          { name: "u", type: "U", if: undefined, info: undefined },
        ],
      } satisfies AlternateType,
      command("use", {
        argType: "U",
        boxed: true,
        retType: "Alt",
        allowOob: true,
        features: [feature("deprecated")],
      }),
    ]);
    const { entries } = buildIntrospection(schema, { unmask: true });
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(byName.get("use")).toEqual({
      name: "use",
      "meta-type": "command",
      "arg-type": "U",
      "ret-type": "Alt",
      "allow-oob": true,
      features: ["deprecated"],
    });
    expect(byName.get("U")).toEqual({
      name: "U",
      "meta-type": "object",
      members: [
        { name: "kind", type: "Kind" },
        { name: "id", type: "str", default: null },
      ],
      tag: "kind",
      variants: [
        { case: "a", type: "BranchA" },
        { case: "b", type: "q_empty" },
      ],
    });
    expect(byName.get("Alt")).toEqual({
      name: "Alt",
      "meta-type": "alternate",
      members: [{ type: "str" }, { type: "U" }],
      features: ["f1"],
    });
    expect(byName.get("Kind")?.features).toEqual(["unstable"]);
    expect(byName.get("BranchA")?.members).toEqual([{ name: "x", type: "bool", features: ["deprecated"] }]);
  });

  describe("conditions", () => {
    const schema = makeSchema([
      enumType("Kind", ["always", ["linux-only", "CONFIG_LINUX"], ["win-only", "CONFIG_WIN32"]]),
      struct("Gone", [member("g", "number")], { if: "CONFIG_WIN32" }),
      struct("Info", [
        member("kind", "Kind"),
        member("fd", "int", { if: "CONFIG_POSIX" }),
        member("handle", "Gone", { if: { not: "CONFIG_POSIX" } }),
        member("both", "bool", { if: { all: ["CONFIG_LINUX", "CONFIG_WIN32"] }, optional: true }),
      ]),
      command("win-cmd", { if: "CONFIG_WIN32", retType: "str" }),
      command("info", {
        retType: "Info",
        features: [feature("deprecated", "CONFIG_WIN32")],
        if: { any: ["CONFIG_LINUX", "CONFIG_WIN32"] },
      }),
    ]);
    const linux = new Set(["CONFIG_LINUX", "CONFIG_POSIX"]);

    it("leaves out whatever the build lacks, keeping the numbering of the full schema", () => {
      const { entries, realNames } = buildIntrospection(schema, { isDefined: (s) => linux.has(s) });
      // Types are numbered and listed as the generator saw the whole schema: "str" (used only by
      // the compiled-out command) and "number" (only by the compiled-out "Gone") stay, like in QEMU.
      expect(names(entries)).toEqual(["info", "0", "str", "1", "2", "int", "bool", "number"]);
      expect(realNames.get("3")).toBe("Gone");
      expect(entries[0]).toEqual({
        name: "info",
        "meta-type": "command",
        "arg-type": "0",
        "ret-type": "1",
        features: [],
      });
      expect(entries.find((e) => e.name === "1")?.members).toEqual([
        { name: "kind", type: "2" },
        { name: "fd", type: "int" },
      ]);
      expect(entries.find((e) => e.name === "2")).toMatchObject({
        values: ["always", "linux-only"],
        members: [{ name: "always" }, { name: "linux-only" }],
      });
    });

    it("keeps everything without isDefined", () => {
      const { entries } = buildIntrospection(schema);
      expect(names(entries)).toContain("win-cmd");
      expect(entries.find((e) => e.name === "2")?.values).toEqual(["always", "linux-only", "win-only"]);
      expect(entries.find((e) => e.name === "info")?.features).toEqual(["deprecated"]);
    });

    it("evaluates all, any and not", () => {
      const defined = (s: string) => s === "A";
      expect(evaluateCondition(undefined, defined)).toBe(true);
      expect(evaluateCondition("A", defined)).toBe(true);
      expect(evaluateCondition("B", defined)).toBe(false);
      expect(evaluateCondition({ all: ["A", "B"] }, defined)).toBe(false);
      expect(evaluateCondition({ any: ["A", "B"] }, defined)).toBe(true);
      expect(evaluateCondition({ not: { any: ["B", { not: "A" }] } }, defined)).toBe(true);
    });
  });

  it("lists an empty variant for every tag value the union leaves out, under that value's condition", () => {
    const schema = makeSchema([
      enumType("Proto", ["vnc", ["spice", "CONFIG_SPICE"], "none"]),
      struct("VncOpts", [member("display", "str")]),
      struct("Opts", [], {
        members: [member("proto", "Proto")],
        kind: "union",
        variants: {
          tag: "proto",
          variants: [{ name: "vnc", type: "VncOpts", if: undefined, info: undefined }],
        },
      }),
      command("set", { argType: "Opts", boxed: true }),
    ]);
    const variantsOf = (isDefined?: (s: string) => boolean) =>
      buildIntrospection(schema, { unmask: true, ...(isDefined ? { isDefined } : {}) }).entries.find(
        (e) => e.name === "Opts",
      )?.variants;
    expect(variantsOf()).toEqual([
      { case: "vnc", type: "VncOpts" },
      { case: "spice", type: "q_empty" },
      { case: "none", type: "q_empty" },
    ]);
    expect(variantsOf(() => false)).toEqual([
      { case: "vnc", type: "VncOpts" },
      { case: "none", type: "q_empty" },
    ]);
  });

  it("drops an array whose element type is compiled out", () => {
    const schema = makeSchema([
      struct("Sgx", [member("flc", "bool")], { if: "TARGET_I386" }),
      array("Sgx"),
      struct("Host", [member("sgx", "SgxList", { if: "TARGET_I386" })]),
      command("host", { retType: "Host" }),
    ]);
    const { entries } = buildIntrospection(schema, { unmask: true, isDefined: () => false });
    expect(names(entries)).toEqual(["host", "q_empty", "Host", "bool"]);
  });

  it("visits commands and events file by file, in the order files were first read", () => {
    const at = (file: string) => new SourceInfo(file, 1, 1, undefined);
    const schema = makeSchema([
      command("main-early", { info: at("main.json") }),
      event("INCLUDED", { info: at("sub.json") }),
      command("main-late", { info: at("main.json") }),
      command("also-included", { info: at("sub.json") }),
    ]);
    schema.files.push("main.json", "sub.json");
    const { entries } = buildIntrospection(schema);
    expect(names(entries).slice(0, 4)).toEqual(["main-early", "main-late", "INCLUDED", "also-included"]);
  });

  it("writes the same data as TypeScript and JSON, deterministically", () => {
    const schema = makeSchema([struct("Info", [member("a", "str")]), command("get", { retType: "Info" })]);
    const files = emitIntrospection(schema);
    expect(files.map((f) => f.path)).toEqual(["introspection.ts", "introspection.json"]);
    const [ts, json] = files;
    const data = JSON.parse(json?.content ?? "");
    expect(data).toEqual(buildIntrospection(schema).entries);
    expect(ts?.content).toMatch(/^\/\/ generated by jobshim codegen/);
    expect(ts?.content).toContain('// "1" = Info');
    expect(ts?.content).toContain("export const schemaInfo: readonly SchemaInfo[] = [");
    expect(emitIntrospection(schema)).toEqual(files);
  });
});
