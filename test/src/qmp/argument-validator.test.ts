import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GENERATED_ARGUMENT_SCHEMAS,
  generatedArgumentValidator,
  QmpArgumentValidator,
} from "../../../src/qmp/argument-validator.ts";
import { GStrHashTable, gStrHash } from "../../../src/qmp/glib-hash-order.ts";
import { connectQmp, type QmpClient, QmpError, QmpServer } from "../../../src/qmp/index.ts";
import type { JsonObject } from "../../../src/qmp/json-value.ts";

const validator = new QmpArgumentValidator();
const desc = (command: string, args: JsonObject) => validator.validate(command, args)?.desc;

/** [command, arguments, QEMU 7.2's desc]; the texts were read off a real QEMU (see the -vs-qemu test). */
const REJECTED: [string, JsonObject, string][] = [
  ["job-cancel", {}, "Parameter 'id' is missing"],
  ["job-cancel", { id: 5 }, "Invalid parameter type for 'id', expected: string"],
  ["query-status", { extra: 1 }, "Parameter 'extra' is unexpected"],
  [
    "block-job-set-speed",
    { device: "d", speed: "x" },
    "Invalid parameter type for 'speed', expected: integer",
  ],
  [
    "block-job-set-speed",
    { device: "d", speed: 1.5 },
    "Invalid parameter type for 'speed', expected: integer",
  ],
  ["block-job-cancel", { device: "d", force: 1 }, "Invalid parameter type for 'force', expected: boolean"],
  ["migrate-continue", { state: "bogus" }, "Parameter 'state' does not accept value 'bogus'"],
  ["migrate-continue", { state: 1 }, "Invalid parameter type for 'state', expected: string"],
  ["migrate-set-parameters", { "compress-level": 256 }, "Parameter 'compress-level' expects uint8_t"],
  ["migrate-set-parameters", { "compress-level": -1 }, "Parameter 'compress-level' expects uint8_t"],
  ["migrate-set-parameters", { "compress-level": "9" }, "Parameter 'compress-level' expects uint64"],
  ["migrate-set-parameters", { "max-bandwidth": 1e30 }, "Parameter 'max-bandwidth' expects uint64"],
  [
    "migrate-set-parameters",
    { "x-checkpoint-delay": 2 ** 32 },
    "Parameter 'x-checkpoint-delay' expects uint32_t",
  ],
  [
    "migrate-set-parameters",
    { "tls-creds": 5 },
    "Invalid parameter type for 'tls-creds', expected: StrOrNull",
  ],
  [
    "migrate-set-parameters",
    { "block-incremental": null },
    "Invalid parameter type for 'block-incremental', expected: boolean",
  ],
  [
    "migrate-set-parameters",
    { "block-bitmap-mapping": [{ "node-name": "n", alias: "a", bitmaps: [{ name: "b", alias: 7 }] }] },
    "Invalid parameter type for 'block-bitmap-mapping[0].bitmaps[0].alias', expected: string",
  ],
  [
    "migrate-set-capabilities",
    { capabilities: [{ state: true }] },
    "Parameter 'capabilities[0].capability' is missing",
  ],
  [
    "migrate-set-capabilities",
    { capabilities: [{ capability: "nope", state: true }] },
    "Parameter 'capability' does not accept value 'nope'",
  ],
  ["qmp_capabilities", { enable: ["bogus"] }, "Parameter 'null' does not accept value 'bogus'"],
  ["qmp_capabilities", { enable: [1] }, "Invalid parameter type for 'enable[0]', expected: string"],
  // Member order decides, not the order of the request's keys.
  ["migrate", { resume: 1, uri: 2 }, "Invalid parameter type for 'uri', expected: string"],
  ["migrate", { blk: "x" }, "Parameter 'uri' is missing"],
  ["migrate", { uri: "u", inc: "y", zzz: 1 }, "Invalid parameter type for 'inc', expected: boolean"],
  // Several leftovers: QEMU names the first its GLib table yields.
  ["migrate", { uri: "u", extra: 1, extra2: 2 }, "Parameter 'extra2' is unexpected"],
  ["query-status", { a: 1, b: 2, c: 3 }, "Parameter 'b' is unexpected"],
  // A union: base members, then the branch the tag picks, then leftovers.
  ["job-change", { type: "migration" }, "Parameter 'id' is missing"],
  ["job-change", { id: "j", type: "teleport" }, "Parameter 'type' does not accept value 'teleport'"],
  [
    "job-change",
    { id: "j", type: "migration", uri: 1 },
    "Invalid parameter type for 'uri', expected: string",
  ],
  ["job-change", { id: "j", type: "mirror", uri: "u" }, "Parameter 'uri' is unexpected"],
];

describe("QmpArgumentValidator", () => {
  it.each(REJECTED)("%s %j → QEMU's text", (command, args, expected) => {
    expect(validator.validate(command, args)).toEqual({ class: "GenericError", desc: expected });
  });

  it("accepts what QEMU accepts, including a negative uint64 (QEMU's compatibility rule)", () => {
    expect(desc("job-cancel", { id: "j" })).toBeUndefined();
    expect(desc("migrate-set-parameters", { "tls-creds": null, "downtime-limit": -1 })).toBeUndefined();
    expect(desc("job-change", { id: "j", type: "migration", "max-bandwidth": 5 })).toBeUndefined();
    expect(
      desc("blockdev-mirror", { device: "d", target: "t", sync: "full", granularity: 65536 }),
    ).toBeUndefined();
  });

  it("leaves unknown commands to the server", () => {
    expect(validator.validate("no-such-command", { x: 1 })).toBeUndefined();
  });

  it("compiles a command's schema once, on first use", () => {
    const asked: string[] = [];
    const counting = new QmpArgumentValidator({
      ...GENERATED_ARGUMENT_SCHEMAS,
      argsSchema: (command) => {
        asked.push(command);
        return GENERATED_ARGUMENT_SCHEMAS.argsSchema(command);
      },
    });
    expect(asked).toEqual([]);
    for (let i = 0; i < 3; i++) counting.validate("job-cancel", { id: "x" });
    expect(asked).toEqual(["job-cancel"]);
  });

  it("words sized signed integers as QEMU does (fixture: int8 and int32)", () => {
    const fixture = new QmpArgumentValidator({
      inputDocument: { $id: "urn:jobshim:fixture", definitions: {} },
      annotationKeywords: [],
      argsSchema: () => ({
        type: "object",
        properties: {
          small: { type: "integer", minimum: -128, maximum: 127 },
          wide: { type: "integer", minimum: -(2 ** 31), maximum: 2 ** 31 - 1 },
        },
        additionalProperties: false,
      }),
    });
    expect(fixture.validate("c", { small: -129 })?.desc).toBe("Parameter 'small' expects int8_t");
    expect(fixture.validate("c", { wide: 2 ** 31 })?.desc).toBe("Parameter 'wide' expects int32_t");
    expect(fixture.validate("c", { small: "1" })?.desc).toBe(
      "Invalid parameter type for 'small', expected: integer",
    );
  });

  /**
   * ajv gives the verdict and the replay gives the words, so both must agree on what is
   * wrong; the one sanctioned difference is QEMU taking negative uint64 values.
   */
  it("ajv and the QEMU replay agree on every random argument set", () => {
    const commands = [
      "migrate",
      "migrate-set-parameters",
      "migrate-set-capabilities",
      "job-change",
      "blockdev-mirror",
    ];
    const value = fc.oneof(
      fc.constantFrom<unknown>(
        null,
        true,
        "full",
        "migration",
        "xbzrle",
        "x",
        0,
        1,
        255,
        256,
        -1,
        1.5,
        2 ** 40,
      ),
      fc.constant({}),
      fc.constant([{ capability: "xbzrle", state: true }]),
    );
    const keys = fc.constantFrom(
      "uri",
      "blk",
      "id",
      "type",
      "device",
      "target",
      "sync",
      "granularity",
      "compress-level",
      "max-bandwidth",
      "tls-creds",
      "capabilities",
      "downtime-limit",
      "extra",
    );
    fc.assert(
      fc.property(fc.constantFrom(...commands), fc.dictionary(keys, value), (command, args) => {
        const replay = validator.qemuError(command, args as JsonObject);
        const ajvSays = validator.validate(command, args as JsonObject);
        const negativeUint64 = Object.values(args).some((v) => v === -1);
        if (!negativeUint64) expect(replay).toEqual(ajvSays);
        if (replay) expect(ajvSays).toEqual(replay);
      }),
      { numRuns: 2000, seed: 42 },
    );
  });
});

describe("GStrHashTable", () => {
  it("hashes as g_str_hash (djb2 over signed chars)", () => {
    expect(gStrHash("")).toBe(5381);
    expect(gStrHash("a")).toBe(177670);
    expect(gStrHash("é")).toBe((((5381 * 33 - 61) >>> 0) * 33 - 87) >>> 0);
  });

  it("keeps every key through growth, removal and shrinking", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1 }), { maxLength: 80 }), fc.nat(), (keys, cut) => {
        const table = new GStrHashTable();
        for (const key of keys) table.insert(key);
        const removed = keys.slice(0, keys.length ? cut % (keys.length + 1) : 0);
        for (const key of removed) table.remove(key);
        expect(table.keysInOrder().sort()).toEqual(keys.filter((k) => !removed.includes(k)).sort());
      }),
      { seed: 1 },
    );
  });
});

describe("validation in a QmpServer", () => {
  const server = new QmpServer({
    handlers: { "job-cancel": () => undefined },
    validate: generatedArgumentValidator(),
  });
  let client: QmpClient;
  beforeAll(async () => {
    const listener = await server.listen("tcp:127.0.0.1:0");
    client = await connectQmp(listener.address);
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it("answers bad arguments with QEMU's class and text, and runs good ones", async () => {
    const error = await client.execute("job-cancel", { id: "j", force: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QmpError);
    expect(error).toMatchObject({ errorClass: "GenericError", desc: "Parameter 'force' is unexpected" });
    expect(await client.execute("job-cancel", { id: "j" })).toEqual({});
  });
});
