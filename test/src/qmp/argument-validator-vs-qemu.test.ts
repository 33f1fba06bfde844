/**
 * The argument validator against real QEMU 7.2: the same bad arguments go to QEMU and to a
 * jobshim server validating with the generated schemas; the replies must be the same bytes.
 * Every input here is one QEMU refuses while unmarshalling, before the command runs, so nothing
 * is ever started; the jobshim handler behind validation answers "reached the handler" so an
 * input we wrongly accept shows up as a mismatch. A second part checks unions and nested
 * alternates, which jobshim's own QEMU commands lack, with a validator built from QEMU's own
 * whole schema.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSchema } from "../../../codegen/frontend.ts";
import { ANNOTATION_KEYWORDS, buildJsonSchemaDocuments } from "../../../codegen/json-schema-documents.ts";
import { generatedArgumentValidator, QmpArgumentValidator } from "../../../src/qmp/argument-validator.ts";
import { QmpCommandError, QmpServer } from "../../../src/qmp/index.ts";
import type { JsonObject } from "../../../src/qmp/json-value.ts";
import type { SchemaNode } from "../../../src/qmp/qapi-input-visit.ts";
import { type QemuMonitors, qemuOrSkipReason, startQemuMonitors } from "../../helpers/qemu-qmp-process.ts";
import { qemuSchemaFile } from "../../helpers/qemu-sources.ts";
import { RawQmpSession } from "../../helpers/raw-qmp-session.ts";

const { binary, skipReason } = qemuOrSkipReason();
if (skipReason) console.warn(skipReason);

/** [command, the `arguments` JSON text exactly as sent]. */
const BAD_ARGUMENTS: [string, string][] = [
  ["job-cancel", "{}"],
  ["job-cancel", '{"id":5}'],
  ["job-cancel", '{"id":"j","force":true}'],
  ["job-cancel", '{"id":null}'],
  ["job-cancel", "[]"],
  ["job-cancel", "5"],
  ["job-dismiss", '{"id":[]}'],
  ["job-pause", '{"id":{}}'],
  ["job-resume", '{"id":true,"x":1}'],
  ["job-complete", '{"x":1}'],
  ["job-finalize", '{"id":1.5}'],
  ["query-jobs", '{"x":1}'],
  ["query-status", '{"verbose":true}'],
  ["query-version", '{"x":1}'],
  ["query-block-jobs", '{"x":1}'],
  ["query-migrate", '{"a":1,"b":2,"c":3}'],
  ["query-migrate-capabilities", '{"x":1}'],
  ["query-migrate-parameters", '{"x":1}'],
  ["migrate_cancel", '{"x":null}'],
  ["migrate-pause", '{"x":1}'],
  ["migrate-start-postcopy", '{"x":1}'],
  ["migrate", "{}"],
  ["migrate", '{"blk":"y"}'],
  ["migrate", '{"uri":5}'],
  ["migrate", '{"uri":"x","blk":1}'],
  ["migrate", '{"uri":"x","inc":"y","extra":1}'],
  ["migrate", '{"uri":"x","detach":null}'],
  ["migrate", '{"uri":"x","resume":"yes"}'],
  ["migrate", '{"uri":"x","extra":1,"extra2":2}'],
  ["migrate", '{"resume":1,"uri":2}'],
  ["migrate-incoming", "{}"],
  ["migrate-incoming", '{"uri":5}'],
  ["migrate-continue", "{}"],
  ["migrate-continue", '{"state":"bogus"}'],
  ["migrate-continue", '{"state":5}'],
  ["migrate-continue", '{"state":"pre-switchover","x":1}'],
  ["migrate-recover", '{"uri":1}'],
  ["migrate-set-capabilities", "{}"],
  ["migrate-set-capabilities", '{"capabilities":{}}'],
  ["migrate-set-capabilities", '{"capabilities":[5]}'],
  ["migrate-set-capabilities", '{"capabilities":[{"state":true}]}'],
  ["migrate-set-capabilities", '{"capabilities":[{"capability":"bogus","state":true}]}'],
  ["migrate-set-capabilities", '{"capabilities":[{"capability":"xbzrle","state":"yes"}]}'],
  ["migrate-set-capabilities", '{"capabilities":[{"capability":"xbzrle","state":true,"x":1}]}'],
  ["migrate-set-capabilities", '{"capabilities":[{"capability":"xbzrle","state":true},{"capability":5}]}'],
  ["migrate-set-parameters", '{"compress-level":300}'],
  ["migrate-set-parameters", '{"compress-level":-1}'],
  ["migrate-set-parameters", '{"compress-level":"x"}'],
  ["migrate-set-parameters", '{"compress-level":1.5}'],
  ["migrate-set-parameters", '{"max-bandwidth":"x"}'],
  ["migrate-set-parameters", '{"max-bandwidth":1e30}'],
  ["migrate-set-parameters", '{"announce-initial":-1e20}'],
  ["migrate-set-parameters", '{"downtime-limit":true}'],
  ["migrate-set-parameters", '{"x-checkpoint-delay":5000000000}'],
  ["migrate-set-parameters", '{"tls-creds":5}'],
  ["migrate-set-parameters", '{"tls-hostname":[]}'],
  ["migrate-set-parameters", '{"tls-creds":null,"compress-level":300}'],
  ["migrate-set-parameters", '{"block-bitmap-mapping":{}}'],
  ["migrate-set-parameters", '{"block-bitmap-mapping":[5]}'],
  ["migrate-set-parameters", '{"block-bitmap-mapping":[{}]}'],
  [
    "migrate-set-parameters",
    '{"block-bitmap-mapping":[{"node-name":"a","alias":"b","bitmaps":[{"name":1}]}]}',
  ],
  [
    "migrate-set-parameters",
    '{"block-bitmap-mapping":[{"node-name":"a","alias":"b","bitmaps":[{"name":"x","alias":"y","transform":{"persistent":1}}]}]}',
  ],
  ["migrate-set-parameters", '{"multifd-compression":"bogus"}'],
  ["migrate-set-parameters", '{"multifd-compression":5}'],
  ["migrate-set-parameters", '{"compress-wait-thread":null}'],
  ["migrate-set-parameters", '{"zz":1,"compress-level":"x"}'],
  ["block-job-set-speed", '{"device":"x"}'],
  ["block-job-set-speed", '{"speed":1}'],
  ["block-job-set-speed", '{"device":"x","speed":"1"}'],
  ["block-job-set-speed", '{"device":"x","speed":1.5}'],
  ["block-job-set-speed", '{"device":"x","speed":1e30}'],
  ["block-job-cancel", '{"device":"d","force":"yes"}'],
  ["block-job-pause", '{"device":1}'],
  ["block-job-resume", "{}"],
  ["block-job-complete", '{"device":"d","x":1}'],
  ["block-job-dismiss", '{"device":"d"}'],
  ["block-job-finalize", '{"id":1}'],
  ["blockdev-mirror", '{"device":"x","sync":"full"}'],
  ["blockdev-mirror", '{"device":"x","target":"y","sync":"bogus"}'],
  ["blockdev-mirror", '{"device":"x","target":"y","sync":"full","granularity":-1}'],
  ["blockdev-mirror", '{"device":"x","target":"y","sync":"full","granularity":"x"}'],
  ["blockdev-mirror", '{"device":"x","target":"y","sync":"full","on-source-error":"explode"}'],
  ["blockdev-mirror", '{"device":"x","target":"y","sync":"full","copy-mode":1}'],
  ["qmp_capabilities", '{"enable":["bogus"]}'],
];

/** A fixed-seed generator, so every run sends the same "random" inputs. */
function* lcg(seed: number): Generator<number> {
  let state = seed >>> 0;
  for (;;) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    yield state;
  }
}

/**
 * Several unknown members at once: which one QEMU names depends on its GLib hash table, after
 * inserts, the removal of every member it visited, and any resizing on the way.
 */
function leftoverCases(count: number): [string, string][] {
  const random = lcg(2026);
  const next = (below: number) => (random.next().value as number) % below;
  const alphabet = "abcdefghijklmnopqrstuvwxyz-_0123456789";
  const known: [string, unknown][] = [
    ["compress-wait-thread", true],
    ["block-incremental", false],
    ["cpu-throttle-tailslow", true],
    ["compress-level", 1],
    ["tls-creds", null],
    ["multifd-compression", "none"],
  ];
  const cases: [string, string][] = [];
  for (let n = 0; n < count; n++) {
    const args: Record<string, unknown> = {};
    const removal = n % 2 === 1;
    if (removal) for (const [name, value] of known) if (next(2)) args[name] = value;
    const extras = 2 + next(n < count - 4 ? 30 : 150);
    while (Object.keys(args).length < extras + (removal ? known.length : 0)) {
      let key = "";
      for (let i = 1 + next(12); i > 0; i--) key += alphabet[next(alphabet.length)];
      if (!known.some(([name]) => name === key)) args[key] = 1;
      if (!removal && Object.keys(args).length >= extras) break;
    }
    cases.push([removal ? "migrate-set-parameters" : "query-status", JSON.stringify(args)]);
  }
  return cases;
}

const request = (command: string, args: string, id: number) =>
  `{"execute":"${command}","arguments":${args},"id":${id}}`;

describe.skipIf(!binary)("argument validation vs QEMU 7.2", () => {
  let qemu: QemuMonitors;
  let server: QmpServer;
  let dir: string;
  let truth: RawQmpSession;
  let ours: RawQmpSession;

  beforeAll(async () => {
    qemu = await startQemuMonitors(binary as string);
    dir = mkdtempSync(path.join(tmpdir(), "jobshim-validate-"));
    server = new QmpServer({
      handlers: {},
      fallback: () => () => {
        throw new QmpCommandError("GenericError", "jobshim: reached the handler");
      },
      validate: generatedArgumentValidator(),
    });
    const socket = path.join(dir, "validate.sock");
    await server.listen(`unix:${socket}`);
    truth = await RawQmpSession.open(qemu.unix.slice("unix:".length));
    ours = await RawQmpSession.open(socket);
    for (const session of [truth, ours]) {
      await session.exchange(undefined, 1);
      expect(await session.exchange('{"execute":"qmp_capabilities"}', 1)).toEqual(['{"return": {}}']);
    }
  }, 30_000);
  afterAll(async () => {
    truth?.close();
    ours?.close();
    await server?.close();
    await qemu?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function compare(cases: [string, string][]) {
    const mismatches: { sent: string; qemu: string; jobshim: string }[] = [];
    let id = 0;
    for (const [command, args] of cases) {
      const sent = request(command, args, ++id);
      const [expected = ""] = await truth.exchange(sent, 1);
      const [actual = ""] = await ours.exchange(sent, 1);
      // Guard for the table itself: QEMU must have refused it, so nothing ran.
      expect(expected, sent).toContain('"error"');
      if (actual !== expected) mismatches.push({ sent, qemu: expected, jobshim: actual });
    }
    return mismatches;
  }

  it(`gives QEMU's reply for ${BAD_ARGUMENTS.length} bad argument sets`, async () => {
    expect(BAD_ARGUMENTS.length).toBeGreaterThanOrEqual(40);
    expect(await compare(BAD_ARGUMENTS)).toEqual([]);
  });

  it("names the same leftover member as QEMU among many (GLib table order, with removals)", async () => {
    expect(await compare(leftoverCases(40))).toEqual([]);
  });
});

/** Unions, nested unions and alternates deep inside: QEMU's own commands, QEMU's own schema. */
const QEMU_SCHEMA_CASES: [string, JsonObject][] = [
  ["blockdev-add", {}],
  ["blockdev-add", { driver: "bogus" }],
  ["blockdev-add", { driver: 5 }],
  ["blockdev-add", { driver: "qcow2", "node-name": "n" }],
  ["blockdev-add", { driver: "qcow2", "node-name": "n", file: 5 }],
  ["blockdev-add", { driver: "qcow2", "node-name": "n", file: { driver: "raw", file: 5 } }],
  ["blockdev-add", { driver: "qcow2", "node-name": "n", file: { driver: "null-co", size: "x" } }],
  ["blockdev-add", { driver: "null-co", "node-name": "n", size: "x" }],
  ["blockdev-add", { driver: "null-co", "node-name": "n", bogus: 1 }],
  ["blockdev-add", { driver: "null-co", "node-name": 5 }],
  ["blockdev-add", { driver: "null-co", "node-name": "n", cache: { direct: "y" } }],
  ["blockdev-add", { driver: "null-co", "node-name": "n", cache: { x: 1 } }],
  ["blockdev-add", { driver: "null-co", "node-name": "n", discard: "maybe" }],
  ["blockdev-add", { driver: "file", "node-name": "n", filename: "/nonexistent", aio: "bogus" }],
  ["object-add", { "qom-type": "bogus", id: "x" }],
  ["object-add", { "qom-type": "memory-backend-ram", id: "m", size: "x" }],
  ["chardev-add", { id: "c", backend: { type: "bogus" } }],
  ["chardev-add", { id: "c", backend: { type: "null", data: { x: 1 } } }],
  ["chardev-add", { id: "c", backend: { type: "socket", data: { addr: { type: "unix" } } } }],
  ["chardev-add", { id: "c", backend: { type: "socket", data: { addr: { type: "unix", data: {} } } } }],
];

function qemuSchemaValidator(schemaFile: string): QmpArgumentValidator {
  const docs = buildJsonSchemaDocuments(loadSchema(schemaFile));
  // The documents keep the widest bounds as bigints for exact printing; ajv wants numbers.
  const plain = JSON.parse(
    JSON.stringify(docs, (_key, value: unknown) => (typeof value === "bigint" ? Number(value) : value)),
  ) as typeof docs;
  return new QmpArgumentValidator({
    inputDocument: plain.input as SchemaNode,
    argsSchema: (command) => plain.commands[command]?.args as SchemaNode | undefined,
    annotationKeywords: ANNOTATION_KEYWORDS,
  });
}

// The second part also needs QEMU 7.2's schema from the source cache (scripts/fetch-qemu-sources.sh).
const qemuSchemaPath = qemuSchemaFile("7.2");
const withoutQemuSchema = !binary || qemuSchemaPath === undefined;

describe.skipIf(withoutQemuSchema)("validation over QEMU's own schema vs QEMU 7.2", () => {
  let qemu: QemuMonitors;
  let truth: RawQmpSession;
  beforeAll(async () => {
    qemu = await startQemuMonitors(binary as string);
    truth = await RawQmpSession.open(qemu.unix.slice("unix:".length));
    await truth.exchange(undefined, 1);
    await truth.exchange('{"execute":"qmp_capabilities"}', 1);
  }, 30_000);
  afterAll(async () => {
    truth?.close();
    await qemu?.stop();
  });

  it("reports QEMU's error for unions, nested unions and alternates", async () => {
    const validator = qemuSchemaValidator(qemuSchemaPath as string);
    const mismatches: { sent: string; qemu: unknown; jobshim: unknown }[] = [];
    let id = 0;
    for (const [command, args] of QEMU_SCHEMA_CASES) {
      const sent = request(command, JSON.stringify(args), ++id);
      const [line = ""] = await truth.exchange(sent, 1);
      const expected = (JSON.parse(line) as { error?: unknown }).error;
      expect(expected, sent).toBeDefined();
      const actual = validator.validate(command, args);
      if (JSON.stringify(actual) !== JSON.stringify(expected))
        mismatches.push({ sent, qemu: expected, jobshim: actual });
    }
    expect(mismatches).toEqual([]);
  }, 30_000);
});
