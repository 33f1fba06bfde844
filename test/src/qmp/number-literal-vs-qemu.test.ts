/**
 * Number literals against real QEMU 7.2: the same bytes sent to QEMU directly and to a jobshim
 * server in front of the same QEMU must come back as the same bytes. The server validates with
 * the generated schemas and forwards what it accepts with stringifyExact over a raw QMP
 * connection of its own, so this checks framing, validation, exact forwarding and the id echo
 * together (the proxy's own forwarding path is number-literal-proxy.test.ts).
 *
 * Both paths share one QEMU: each case goes to QEMU first, then through jobshim, so every
 * accepted `migrate-set-parameters` is applied twice with the same value and the reads after
 * it see the same state. None of these commands emits events; lines that are events would
 * still be skipped when reading the forwarded answer.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatedArgumentValidator } from "../../../src/qmp/argument-validator.ts";
import { QmpCommandError } from "../../../src/qmp/index.ts";
import { JsonFramer } from "../../../src/qmp/json-framer.ts";
import { isJsonObject, type JsonValue } from "../../../src/qmp/json-value.ts";
import { stringifyExact } from "../../../src/qmp/number-literal.ts";
import { QmpServer } from "../../../src/qmp/server.ts";
import { type QemuMonitors, qemuOrSkipReason, startQemuMonitors } from "../../helpers/qemu-qmp-process.ts";
import { RawQmpSession } from "../../helpers/raw-qmp-session.ts";
import { NUMBER_CASES } from "./number-literal-cases.ts";

const { binary, skipReason } = qemuOrSkipReason();
if (skipReason) console.warn(skipReason);

/** Runs one command on QEMU over `upstream`, sending its arguments exactly as received. */
async function forward(upstream: RawQmpSession, command: string, args: object): Promise<JsonValue> {
  const argumentsText = Object.keys(args).length > 0 ? `,"arguments":${stringifyExact(args)}` : "";
  let line = (await upstream.exchange(`{"execute":${JSON.stringify(command)}${argumentsText}}\n`, 1))[0];
  for (;;) {
    const [framed] = new JsonFramer().push(Buffer.from(`${line}\n`));
    const reply = framed && "value" in framed ? framed.value : undefined;
    if (isJsonObject(reply) && isJsonObject(reply.error))
      throw new QmpCommandError(String(reply.error.class), String(reply.error.desc));
    if (isJsonObject(reply) && "return" in reply) return reply.return as JsonValue;
    line = (await upstream.exchange(undefined, 1))[0]; // an event: not the answer
  }
}

describe.skipIf(!binary)("number literals: jobshim in front of QEMU 7.2 vs QEMU, byte for byte", () => {
  let qemu: QemuMonitors;
  let server: QmpServer;
  let dir: string;
  let truth: RawQmpSession;
  let upstream: RawQmpSession;
  let ours: RawQmpSession;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "jobshim-numbers-qemu-"));
    // A QEMU monitor serves one client at a time: jobshim's upstream gets a monitor of its own.
    const upstreamSocket = path.join(dir, "upstream.sock");
    qemu = await startQemuMonitors(binary as string, [
      "-chardev",
      `socket,id=upstream,path=${upstreamSocket},server=on,wait=off`,
      "-mon",
      "chardev=upstream,mode=control",
    ]);
    truth = await RawQmpSession.open(qemu.unix.slice("unix:".length));
    upstream = await RawQmpSession.open(upstreamSocket);
    for (const session of [truth, upstream]) {
      await session.exchange(undefined, 1);
      await session.exchange('{"execute":"qmp_capabilities"}', 1);
    }
    server = new QmpServer({
      handlers: {},
      fallback: (command) => (args) => forward(upstream, command, args),
      validate: generatedArgumentValidator(),
    });
    const socket = path.join(dir, "jobshim.sock");
    await server.listen(`unix:${socket}`);
    ours = await RawQmpSession.open(socket);
    await ours.exchange(undefined, 1);
    await ours.exchange('{"execute":"qmp_capabilities"}', 1);
  }, 30_000);
  afterAll(async () => {
    for (const session of [ours, upstream, truth]) session?.close();
    await server?.close();
    await qemu?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`answers all ${NUMBER_CASES.length} cases as QEMU does`, async () => {
    const mismatches: { sent: string; qemu: string; jobshim: string }[] = [];
    for (const sent of NUMBER_CASES) {
      const [expected = ""] = await truth.exchange(`${sent}\n`, 1);
      const [actual = ""] = await ours.exchange(`${sent}\n`, 1);
      if (actual !== expected) mismatches.push({ sent, qemu: expected, jobshim: actual });
    }
    expect(mismatches).toEqual([]);
  });

  it("forwards 2^53 + 1 and 2^64 - 1 exactly: QEMU reads back what the client wrote", async () => {
    for (const value of ["9007199254740993", "18446744073709551615"]) {
      const [set] = await ours.exchange(
        `{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":${value}}}\n`,
        1,
      );
      expect(set).toBe('{"return": {}}');
      const [read = ""] = await truth.exchange('{"execute":"query-migrate-parameters"}\n', 1);
      expect(read).toContain(`"max-bandwidth": ${value},`);
    }
  });
});
