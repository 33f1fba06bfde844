/**
 * fast-check drives the framer and the proxy's dispatcher with generated hostile input.
 * Framer: any bytes, cut into any chunks, frame as they do in one piece, and nothing throws.
 * Dispatcher (a job-facade proxy over a scripted QEMU): every framed value gets exactly one
 * reply, and every command that reaches upstream is one upstream knows, with arguments QEMU
 * would accept.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobFacadeProxy, type JobFacadeProxy } from "../../../adapters/proxy.ts";
import { generatedArgumentValidator } from "../../../src/qmp/argument-validator.ts";
import { JsonFramer } from "../../../src/qmp/json-framer.ts";
import type { JsonObject, JsonValue } from "../../../src/qmp/json-value.ts";
import { LineFramer } from "../../../src/qmp/plain-line.ts";
import type { ByteConnection } from "../../../src/transports/byte-connection.ts";
import { FakeQemu } from "../job-facade/fake-qemu.ts";

/**
 * What the fake QEMU lists in query-commands: a few commands a client may reach through the
 * proxy, and the ones the job facade itself needs from any QEMU it fronts (every QEMU since 3.0
 * has them) to serve query-jobs and job-migrate.
 */
const KNOWN = [
  "query-status",
  "query-migrate",
  "migrate-set-parameters",
  "migrate_cancel",
  "stop",
  "job-cancel",
  "query-jobs",
  "query-migrate-capabilities",
  "migrate-set-capabilities",
  "migrate",
];

class ListingQemu extends FakeQemu {
  override async execute(command: string, args?: JsonObject): Promise<JsonValue> {
    if (command === "query-commands") return KNOWN.map((name) => ({ name }));
    if (command === "query-status" || command === "stop") {
      this.calls.push({ command, args });
      return {};
    }
    return super.execute(command, args);
  }
}

class MemoryConnection implements ByteConnection {
  readonly description = "fuzz client";
  closed = false;
  output = "";
  private data: ((chunk: Buffer) => void) | undefined;
  private closeListener: (() => void) | undefined;
  write(text: string): void {
    this.output += text;
  }
  onData(listener: (chunk: Buffer) => void): void {
    this.data = listener;
  }
  onClose(listener: () => void): void {
    this.closeListener = listener;
  }
  close(): void {
    this.closed = true;
    this.closeListener?.();
  }
  send(bytes: Buffer): void {
    this.data?.(bytes);
  }
  get lines(): string[] {
    return this.output.split("\r\n").filter((line) => line !== "");
  }
}

const fragments = fc.oneof(
  fc.constantFrom("{", "}", "[", "]", ":", ",", '"', "\\", "\\u", "\n", " ", "'", "null", "1e9", "-0"),
  fc.constantFrom('{"execute":"query-status"}', '{"exec-oob":"x","id":1}', '"\\ud800"', "%d"),
  fc.string({ maxLength: 8 }),
  fc.uint8Array({ maxLength: 6 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
);
const byteStream = fc
  .array(fragments, { maxLength: 40 })
  .map((parts) => Buffer.from(parts.join(""), "latin1"));

const strip = (framed: { ok: boolean }[]) =>
  framed.map((f) => ("value" in f ? { ok: true, value: f.value } : f));

describe("framer fuzz", () => {
  it("frames any bytes the same in any chunks, without throwing", () => {
    fc.assert(
      fc.property(byteStream, fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
        const whole = strip(new LineFramer().push(bytes));
        const chunked = new LineFramer();
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const pieces: ReturnType<typeof strip> = [];
        let from = 0;
        for (const at of [...points, bytes.length]) {
          pieces.push(...strip(chunked.push(bytes.subarray(from, at))));
          from = at;
        }
        expect(pieces).toEqual(whole);
        expect(strip(new JsonFramer().push(bytes))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });
});

const commandName = fc.oneof(
  fc.constantFrom(...KNOWN, "job-migrate", "query-jobs", "frobnicate"),
  fc.string(),
);
const request = fc.record(
  {
    execute: fc.oneof(commandName, fc.jsonValue()),
    "exec-oob": commandName,
    arguments: fc.oneof(
      fc.dictionary(fc.constantFrom("downtime-limit", "id", "x", "uri"), fc.jsonValue()),
      fc.jsonValue(),
    ),
    id: fc.jsonValue(),
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
);
const message = fc.oneof(
  { weight: 4, arbitrary: request.map((r) => JSON.stringify(r)) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fragments },
);

describe("dispatcher fuzz", () => {
  let qemu: ListingQemu;
  let proxy: JobFacadeProxy;
  const validate = generatedArgumentValidator();
  beforeAll(async () => {
    qemu = new ListingQemu();
    proxy = await createJobFacadeProxy({ upstream: qemu, facade: { pollIntervalMs: 60_000 } });
  });
  afterAll(() => proxy.close());

  it("answers every framed value once and forwards only known commands with valid arguments", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(message, { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        async (messages, oob) => {
          const connection = new MemoryConnection();
          proxy.attach(connection);
          const negotiation = `{"execute":"qmp_capabilities"${oob ? ',"arguments":{"enable":["oob"]}' : ""}}\n`;
          const bytes = Buffer.from(`${negotiation}${messages.join("\n")}\n`, "utf8");
          const expected = new JsonFramer().push(bytes).length + 1; // + greeting
          const sentBefore = qemu.calls.length;
          connection.send(bytes);
          for (let i = 0; i < 200 && connection.lines.length < expected; i++)
            await new Promise((resolve) => setTimeout(resolve, 1));
          await new Promise((resolve) => setTimeout(resolve, 5));
          connection.close();
          expect(connection.lines).toHaveLength(expected);
          for (const call of qemu.calls.slice(sentBefore)) {
            expect(KNOWN).toContain(call.command);
            expect(validate(call.command, call.args ?? {})).toBeUndefined();
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
