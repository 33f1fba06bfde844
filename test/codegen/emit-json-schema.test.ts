import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitJsonSchema } from "../../codegen/emit-json-schema.ts";
import { GENERATED_NOTICE } from "../../codegen/generated-file.ts";
import { INPUT_SCHEMA_ID, OUTPUT_SCHEMA_ID } from "../../codegen/json-schema-documents.ts";
import { toPlainJson } from "../../codegen/json-value.ts";
import {
  expectGolden,
  fixture,
  type LoadedAjv,
  qemu,
  qemuReleases,
  strictAjv,
  typecheck,
} from "./emit-types-helpers.ts";

/** Compiles every definition of both documents and every command/event schema; returns the count. */
function compileEverything(loaded: LoadedAjv): number {
  let count = 0;
  for (const [id, doc] of [
    [INPUT_SCHEMA_ID, loaded.docs.input],
    [OUTPUT_SCHEMA_ID, loaded.docs.output],
  ] as const) {
    for (const name of Object.keys(doc.definitions as object)) {
      expect(loaded.ajv.getSchema(`${id}#/definitions/${name}`), name).toBeTypeOf("function");
      count++;
    }
  }
  for (const c of Object.values(loaded.docs.commands))
    count += [loaded.validator(c.args), loaded.validator(c.ret)].length;
  for (const e of Object.values(loaded.docs.events)) count += [loaded.validator(e.data)].length;
  return count;
}

describe("emitJsonSchema on the fixture schema", () => {
  const schema = fixture();
  const loaded = strictAjv(schema);
  const args = (command: string) => loaded.validator(loaded.docs.commands[command]?.args);
  const ret = (command: string) => loaded.validator(loaded.docs.commands[command]?.ret);
  const data = (event: string) => loaded.validator(loaded.docs.events[event]?.data);
  const red = { id: "s1", colour: "red", shade: 7 };
  const point = { id: "p", colour: "green", x: -3 };

  it("matches the golden file and starts with the generated notice", () => {
    const [file] = emitJsonSchema(schema);
    expect(file?.path).toBe("json-schemas.ts");
    expect(file?.content.split("\n")[0]).toBe(`// ${GENERATED_NOTICE}`);
    expectGolden("json-schemas.ts", file?.content ?? "");
  });

  it("compiles every definition and lookup in ajv strict mode", () => {
    expect(compileEverything(loaded)).toBe(
      Object.keys(loaded.docs.input.definitions as object).length +
        Object.keys(loaded.docs.output.definitions as object).length +
        2 * Object.keys(loaded.docs.commands).length +
        Object.keys(loaded.docs.events).length,
    );
  });

  it("really is strict: without the annotation keywords declared, ajv refuses x-if", () => {
    const plain = new Ajv({ strict: true });
    expect(() =>
      plain
        .addSchema(toPlainJson(loaded.docs.input) as object)
        .getSchema(`${INPUT_SCHEMA_ID}#/definitions/Green`),
    ).toThrow(/x-if/);
  });

  it("keeps if conditions as annotations instead of dropping members", () => {
    const defs = loaded.docs.input.definitions as Record<string, Record<string, unknown>>;
    expect(defs.Green?.["x-if"]).toBe("CONFIG_GREEN");
    expect(defs.Colour?.["x-value-if"]).toEqual({ blue: "CONFIG_BLUE" });
    expect(defs.Colour?.enum).toEqual(["red", "green", "blue"]);
    expect((defs.Red?.properties as Record<string, unknown> | undefined)?.tags).toMatchObject({
      "x-if": { not: "CONFIG_NO_TAGS" },
    });
  });

  it("input: accepts valid arguments, refuses missing, mistyped and extra members", () => {
    const draw = args("draw");
    expect(draw({ shape: red })).toBe(true);
    expect(draw({ shape: red, size: 3, extra: { anything: [1] } })).toBe(true);
    expect(draw({})).toBe(false);
    expect(draw({ shape: { ...red, id: 1 } })).toBe(false);
    expect(draw({ shape: red, bogus: true })).toBe(false);
    expect(args("reset")({})).toBe(true);
    expect(args("reset")({ force: true })).toBe(false);
  });

  it("input: a union is flat, each branch pins the tag and is closed", () => {
    const draw = args("draw");
    expect(draw({ shape: { id: "s", colour: "red" } })).toBe(false);
    expect(draw({ shape: { id: "s", colour: "green", leaf: true } })).toBe(true);
    expect(draw({ shape: { id: "s", colour: "green", leaf: true, shade: 1 } })).toBe(false);
    expect(draw({ shape: { id: "s", colour: "blue" } })).toBe(true);
    expect(draw({ shape: { id: "s", colour: "blue", leaf: true } })).toBe(false);
    expect(draw({ shape: { id: "s", colour: "purple" } })).toBe(false);
    expect(draw({ shape: { colour: "blue" } })).toBe(false);
  });

  it("a union branch that is a union: both tags pinned, closed over all members in input", () => {
    const coat = args("coat");
    expect(coat({ colour: "red", finish: "gloss", level: 3, coats: 2 })).toBe(true);
    expect(coat({ colour: "red", finish: "matte" })).toBe(true);
    expect(coat({ colour: "blue" })).toBe(true);
    expect(coat({ colour: "red", finish: "gloss" })).toBe(false);
    expect(coat({ colour: "red", finish: "matte", level: 1 })).toBe(false);
    expect(coat({ colour: "blue", finish: "matte" })).toBe(false);
    expect(ret("coat")({ colour: "red", finish: "satin", sheen: 1 })).toBe(true);
    expect(ret("coat")({ colour: "red", finish: "gloss" })).toBe(false);
  });

  it("input: an alternate takes each branch by JSON type", () => {
    const size = (value: unknown) => args("draw")({ shape: red, size: value });
    expect([3, "red", null, point].map(size)).toEqual([true, true, true, true]);
    expect([true, "purple", 1.5, [3], { id: "p" }].map(size)).toEqual([false, false, false, false, false]);
  });

  it("input: sized integers have their ranges, 64-bit ones as JSON.parse sees them", () => {
    const place = args("place");
    expect(place({ ...point, y: 255 })).toBe(true);
    expect(place({ ...point, y: 256 })).toBe(false);
    expect(place({ ...point, y: -1 })).toBe(false);
    expect(place({ ...point, z: JSON.parse("18446744073709551615") })).toBe(true);
    expect(place({ ...point, z: 2 ** 65 })).toBe(false);
    expect(place({ ...point, x: JSON.parse("-9223372036854775808") })).toBe(true);
    expect(place({ ...point, x: -(2 ** 64) })).toBe(false);
    expect(place({ ...point, x: 1.5 })).toBe(false);
  });

  it("output: enums are open and unknown members pass, but known members are still checked", () => {
    const moved = data("MOVED");
    expect(moved({ to: point })).toBe(true);
    expect(moved({ to: { ...point, colour: "purple", depth: 3 }, since: "now" })).toBe(true);
    expect(moved({})).toBe(false);
    expect(moved({ to: { ...point, x: "3" } })).toBe(false);
    expect(ret("reset")({})).toBe(true);
    expect(data("RESET")({})).toBe(true);
  });

  it("output: a union with an unknown tag value passes, a known one is still checked", () => {
    const shapes = ret("query-shapes");
    expect(shapes([{ id: "s", colour: "purple", corners: 5 }])).toBe(true);
    expect(shapes([{ ...red, gloss: 1 }])).toBe(true);
    expect(shapes([{ id: "s", colour: "red" }])).toBe(false);
    expect(shapes([{ colour: "purple" }])).toBe(false);
  });

  describe("the generated module, imported and used as its comment says", () => {
    let dir = "";
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "jobshim-json-schema-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("looks up command arguments, returns and event data by name", async () => {
      const [file] = emitJsonSchema(schema);
      const path = join(dir, "json-schemas.ts");
      writeFileSync(path, file?.content ?? "");
      const mod = await import(path);
      const ajv = new Ajv({ strict: true, keywords: [...mod.QAPI_ANNOTATION_KEYWORDS] });
      ajv.addSchema(mod.qapiInputSchema).addSchema(mod.qapiOutputSchema);
      expect(ajv.compile(mod.commandArgsSchema("draw"))({ shape: red })).toBe(true);
      expect(ajv.compile(mod.commandReturnSchema("place"))({ ...point, colour: "purple" })).toBe(true);
      expect(ajv.compile(mod.eventDataSchema("MOVED"))({ to: "nowhere" })).toBe(false);
      expect(mod.commandArgsSchema("toString")).toBeUndefined();
      expect(mod.eventDataSchema("draw")).toBeUndefined();
    });
  });
});

describe.each(qemuReleases)("emitJsonSchema on QEMU %s's whole schema", (version) => {
  const schema = qemu(version);
  const started = performance.now();
  const [file] = emitJsonSchema(schema);
  const emitMs = performance.now() - started;
  const loaded = strictAjv(schema);

  it("compiles every definition and every command/event schema in ajv strict mode", () => {
    const compileStart = performance.now();
    const count = compileEverything(loaded);
    console.log(
      `json-schemas.ts for QEMU: ${file?.content.length} bytes, emitted in ${emitMs.toFixed(0)} ms; ` +
        `${count} schemas compiled by ajv strict in ${(performance.now() - compileStart).toFixed(0)} ms`,
    );
    expect(Object.keys(loaded.docs.commands).length).toBeGreaterThan(200);
    expect(count).toBeGreaterThan(1000);
  });

  // What 7.2's API holds (and a newer QEMU adds) is a fact of 7.2's schema alone.
  if (version === "7.2") {
    it("reads what a newer QEMU sends and accepts only what 7.2 knows", () => {
      const ret = (command: string) => loaded.validator(loaded.docs.commands[command]?.ret);
      const args = (command: string) => loaded.validator(loaded.docs.commands[command]?.args);
      const data = (event: string) => loaded.validator(loaded.docs.events[event]?.data);
      expect(ret("query-migrate")({ status: "postcopy-recover-setup", "vfio-state": 1 })).toBe(true);
      expect(ret("query-migrate")({ status: 5 })).toBe(false);
      expect(data("MIGRATION")({ status: "postcopy-device" })).toBe(true);
      expect(data("JOB_STATUS_CHANGE")({ id: "m0", status: "running" })).toBe(true);
      expect(data("JOB_STATUS_CHANGE")({ id: "m0" })).toBe(false);
      const job = {
        id: "m0",
        type: "migration",
        status: "running",
        "current-progress": 1,
        "total-progress": 2,
      };
      expect(ret("query-jobs")([job])).toBe(true);
      expect(args("migrate")({ uri: "unix:/tmp/m.sock", detach: true })).toBe(true);
      expect(args("migrate")({ uri: "unix:/tmp/m.sock", channels: [] })).toBe(false);
      expect(args("migrate-continue")({ state: "pre-switchover" })).toBe(true);
      expect(args("migrate-continue")({ state: "postcopy-recover-setup" })).toBe(false);
      expect(args("job-cancel")({})).toBe(false);
    });
  }

  it("is deterministic", () => {
    expect(emitJsonSchema(schema)[0]?.content).toBe(file?.content);
  });

  it("type-checks under the project's strict compiler options", () => {
    expect(typecheck({ "json-schemas.ts": file?.content ?? "" })).toBe("");
  });
});
