/**
 * Number literals through `jobshim proxy --facade jobs` (a process) in front of real QEMU 7.2:
 * refusals and id echoes equal QEMU's own bytes, and a `max-bandwidth` of 2^53 + 1 set through
 * the proxy reads back from QEMU directly as 9007199254740993.
 *
 * The last part rests on the QMP client (src/qmp/client.ts) writing requests with
 * stringifyExact; a fake QMP server checks that first, without QEMU, so a regression there is
 * named as such.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QmpClient } from "../../../src/qmp/client.ts";
import { JsonFramer } from "../../../src/qmp/json-framer.ts";
import type { JsonObject } from "../../../src/qmp/json-value.ts";
import { startFakeQmpServer } from "../../helpers/fake-qmp-server.ts";
import { type ProxyProcess, startProxyProcess } from "../../helpers/proxy-process.ts";
import { type QemuMonitors, qemuOrSkipReason, startQemuMonitors } from "../../helpers/qemu-qmp-process.ts";
import { RawQmpSession } from "../../helpers/raw-qmp-session.ts";

const { binary, skipReason } = qemuOrSkipReason();
if (skipReason) console.warn(skipReason);

const BIG = "9007199254740993";

/** The reply to `request` (which carries an id), skipping the events that arrive meanwhile. */
async function replyTo(session: RawQmpSession, request: string): Promise<string> {
  const [line = ""] = await session.exchange(request, 1);
  let next = line;
  while (next.startsWith('{"timestamp"')) [next = ""] = await session.exchange(undefined, 1);
  return next;
}

/**
 * The request line QmpClient writes for arguments framed from `{"n":2^53 + 1}`: a fake QMP
 * server keeps every request line.
 */
async function clientRequestLine(dir: string): Promise<string | undefined> {
  const socket = path.join(dir, "probe.sock");
  const server = await startFakeQmpServer(socket);
  try {
    const client = await QmpClient.connect(`unix:${socket}`);
    const [framed] = new JsonFramer().push(Buffer.from(`{"n":${BIG}}`));
    await client.execute("probe", (framed as { value: JsonObject }).value);
    await client.close();
    return server.lines.at(-1);
  } finally {
    await server.close();
  }
}

describe("QmpClient", () => {
  it("writes a framed 2^53 + 1 as the client wrote it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "jobshim-numbers-client-"));
    try {
      expect(await clientRequestLine(dir)).toContain(`"arguments":{"n":${BIG}}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!binary)("number literals through jobshim proxy --facade jobs", { timeout: 60_000 }, () => {
  let qemu: QemuMonitors;
  let dir: string;
  let proxy: ProxyProcess | undefined;
  let truth: RawQmpSession;
  let client: RawQmpSession;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "jobshim-numbers-proxy-"));
    const truthSocket = path.join(dir, "truth.sock");
    qemu = await startQemuMonitors(binary as string, [
      "-chardev",
      `socket,id=truth,path=${truthSocket},server=on,wait=off`,
      "-mon",
      "chardev=truth,mode=control",
    ]);
    const listen = path.join(dir, "proxy.sock");
    proxy = await startProxyProcess(["--upstream", qemu.unix, "--facade", "jobs"], listen);
    truth = await RawQmpSession.open(truthSocket);
    client = await RawQmpSession.open(listen);
    for (const session of [truth, client]) {
      await session.exchange(undefined, 1);
      await session.exchange('{"execute":"qmp_capabilities"}', 1);
    }
  }, 30_000);
  afterAll(async () => {
    client?.close();
    truth?.close();
    await proxy?.stop();
    await qemu?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses float and out-of-range integers and echoes ids exactly as QEMU does", async () => {
    const cases = [
      '{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":1.0},"id":1}',
      '{"execute":"migrate-set-parameters","arguments":{"downtime-limit":1e3},"id":2}',
      '{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":18446744073709551616},"id":3}',
      '{"execute":"block-job-set-speed","arguments":{"device":"x","speed":9223372036854775808},"id":4}',
      '{"execute":"block-job-set-speed","arguments":{"device":"x","speed":0.0},"id":5}',
      `{"execute":"query-status","id":${BIG}}`,
      '{"execute":"query-status","id":1e18}',
      '{"execute":"query-status","id":[1.0,-0.0]}',
    ];
    const mismatches: { sent: string; qemu: string; proxy: string }[] = [];
    for (const sent of cases) {
      const [expected = ""] = await truth.exchange(`${sent}\n`, 1);
      const [actual = ""] = await client.exchange(`${sent}\n`, 1);
      if (actual !== expected) mismatches.push({ sent, qemu: expected, proxy: actual });
    }
    expect(mismatches).toEqual([]);
  });

  it("refuses a float for the facade's own integer members with QEMU's words, before anything runs", async () => {
    const [reply] = await client.exchange(
      '{"execute":"job-migrate","arguments":{"job-id":"m","uri":"exec:cat","max-bandwidth":1.0},"id":"own"}\n',
      1,
    );
    expect(reply).toBe(
      '{"id": "own", "error": {"class": "GenericError", "desc": "Parameter \'max-bandwidth\' expects uint64"}}',
    );
    const [jobs] = await client.exchange('{"execute":"query-jobs"}\n', 1);
    expect(jobs).toBe('{"return": []}');
  });

  it("sets max-bandwidth 2^53 + 1 through the proxy; QEMU reads back 9007199254740993", async () => {
    const [set] = await client.exchange(
      `{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":${BIG}},"id":"set"}\n`,
      1,
    );
    expect(set).toBe('{"return": {}, "id": "set"}');
    const [read = ""] = await truth.exchange('{"execute":"query-migrate-parameters"}\n', 1);
    expect(read).toContain(`"max-bandwidth": ${BIG},`);
  });

  it("job-migrate hands its max-bandwidth 2^53 + 3 to QEMU exactly (the facade picks it out of the arguments)", async () => {
    const bigger = "9007199254740995";
    const started = await replyTo(
      client,
      `{"execute":"job-migrate","arguments":{"job-id":"big","uri":"exec:cat > /dev/null","max-bandwidth":${bigger}},"id":"go"}\n`,
    );
    expect(started).toBe('{"return": {}, "id": "go"}');
    const read = await replyTo(truth, '{"execute":"query-migrate-parameters","id":"read"}\n');
    expect(read).toContain(`"max-bandwidth": ${bigger},`);
  });
});
