/**
 * Server fidelity: the same bytes — good and bad input — sent to real QEMU and to a jobshim
 * server passing commands through to that QEMU must come back as the same bytes. jobshim
 * answers framing, request-shape and negotiation errors itself; QEMU answers the rest.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectQmp,
  type QmpClient,
  QmpCommandError,
  QmpError,
  type QmpHandler,
  QmpServer,
} from "../../../src/qmp/index.ts";
import { type QemuMonitors, qemuOrSkipReason, startQemuMonitors } from "../../helpers/qemu-qmp-process.ts";
import { RawQmpSession } from "../../helpers/raw-qmp-session.ts";

const { binary, skipReason } = qemuOrSkipReason();
if (skipReason) console.warn(skipReason);

/** [what it shows, bytes sent, number of reply lines] — run in this order on one connection. */
const SCRIPT: [string, string | Buffer, number][] = [
  ["command before negotiation", '{"execute":"query-status","id":1}', 1],
  ["exec-oob before negotiation", '{"exec-oob":"migrate-pause","id":2}', 1],
  ["bad capability", '{"execute":"qmp_capabilities","arguments":{"enable":["bogus"]}}', 1],
  ["capability not a string", '{"execute":"qmp_capabilities","arguments":{"enable":[1]}}', 1],
  ["capabilities not a list", '{"execute":"qmp_capabilities","arguments":{"enable":"oob"}}', 1],
  ["capabilities extra argument", '{"execute":"qmp_capabilities","arguments":{"x":1}}', 1],
  ["negotiation", '{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}', 1],
  ["second negotiation", '{"execute":"qmp_capabilities","id":"again"}', 1],
  ["non-object input", '[1,2] 5 "text"', 3],
  ["unexpected member", '{"exec":"x"}', 1],
  ["execute not a string", '{"execute":5,"id":3}', 1],
  ["arguments not an object", '{"execute":"query-status","arguments":[]}', 1],
  ["no execute", '{"id":4}', 1],
  ["execute and exec-oob together", '{"execute":"query-status","exec-oob":"query-status"}', 1],
  ["ids of any type echoed", '{"execute":"query-status","id":{"a":[1,null,true,"x"],"b":-2.5}}', 1],
  ["unknown command", '{"execute":"nonexistent","id":"x"}', 1],
  ["invalid keyword", "xyz\n", 1],
  ["request across lines", '{"execute":\n"query-status",\n "id": 7}', 1],
  [
    "two requests, one chunk, duplicate ids",
    '{"execute":"query-jobs","id":1}{"execute":"query-migrate","id":1}',
    2,
  ],
  ["orphan brace", "}", 1],
  ["missing argument", '{"execute":"job-cancel","arguments":{},"id":8}', 1],
  ["wrong argument type", '{"execute":"block-job-set-speed","arguments":{"device":"x","speed":"fast"}}', 1],
  ["extra argument", '{"execute":"query-status","arguments":{"extra":1}}', 1],
  ["bad enum value", '{"execute":"migrate-continue","arguments":{"state":"bogus"}}', 1],
  ["command error", '{"execute":"migrate-continue","arguments":{"state":"pre-switchover"}}', 1],
  ["exec-oob allowed", '{"exec-oob":"migrate-pause","id":"oob1"}', 1],
  ["exec-oob refused", '{"exec-oob":"query-status","id":"oob2"}', 1],
  ["single-quoted strings", "{'execute':'query-status','id':'sq'}", 1],
  ["unicode escapes in id", '{"execute":"query-status","id":"\\u00e9\\ud83d\\ude00/"}', 1],
  ["raw UTF-8 in id", '{"execute":"query-status","id":"é€"}', 1],
  ["stray byte then a request", '@{"execute":"query-status","id":"after"}', 2],
  ["leading zero", "[01]", 2],
  ["duplicate key", '{"execute":"query-status","execute":"x"}', 1],
  ["invalid escape", '{"execute":"query-status","id":"\\q"}', 1],
  ["invalid UTF-8", Buffer.from([0x5b, 0x22, 0xc0, 0xaf, 0x22, 0x5d]), 1],
  ["lone surrogate", '["\\ud800"]', 1],
];

function passThrough(upstream: QmpClient): (command: string) => QmpHandler {
  return (command) => async (args, context) => {
    try {
      return await upstream.execute(command, args, { oob: context.oob });
    } catch (error) {
      if (error instanceof QmpError) throw new QmpCommandError(error.errorClass, error.desc);
      throw error;
    }
  };
}

describe.skipIf(!binary)("jobshim server vs QEMU, byte for byte", () => {
  let qemu: QemuMonitors;
  let upstream: QmpClient;
  let server: QmpServer;
  let dir: string;
  let proxyPath: string;

  beforeAll(async () => {
    qemu = await startQemuMonitors(binary as string);
    upstream = await connectQmp(qemu.tcp);
    dir = mkdtempSync(path.join(tmpdir(), "jobshim-proxy-"));
    proxyPath = path.join(dir, "proxy.sock");
    server = new QmpServer({
      handlers: {},
      fallback: passThrough(upstream),
      version: upstream.greeting.QMP.version,
    });
    await server.listen(`unix:${proxyPath}`);
  });
  afterAll(async () => {
    await server?.close();
    await upstream?.close();
    await qemu?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("creates its unix socket with mode 0600", () => {
    expect(statSync(proxyPath).mode & 0o777).toBe(0o600);
  });

  it("answers every scripted input exactly as QEMU does", async () => {
    const truth = await RawQmpSession.open(qemu.unix.slice("unix:".length));
    const ours = await RawQmpSession.open(proxyPath);
    try {
      expect(await ours.exchange(undefined, 1)).toEqual(await truth.exchange(undefined, 1));
      const mismatches: { what: string; qemu: string[]; jobshim: string[] }[] = [];
      for (const [what, bytes, count] of SCRIPT) {
        const expected = await truth.exchange(bytes, count);
        const actual = await ours.exchange(bytes, count);
        if (JSON.stringify(actual) !== JSON.stringify(expected))
          mismatches.push({ what, qemu: expected, jobshim: actual });
      }
      expect(mismatches).toEqual([]);
    } finally {
      truth.close();
      ours.close();
    }
  });
});
