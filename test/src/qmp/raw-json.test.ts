/**
 * A proxy relays a reply as its upstream wrote it: the client keeps the return value's text
 * when asked (`raw: true`) and the server writes that text back, with only the id changed to the
 * asking client's. Exact even where a JS number is not (integers beyond 2^53). A reply not in
 * QEMU's layout is re-serialised as before.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { QmpClient, QmpServer } from "../../../src/qmp/index.ts";
import { rawTextOf } from "../../../src/qmp/raw-json.ts";
import { type FakeRequest, startFakeQmpServer } from "../../helpers/fake-qmp-server.ts";

const dir = mkdtempSync(path.join(tmpdir(), "jobshim-raw-json-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STATUS = '{"status": "running", "big": 18446744073709551615, "singlestep": false, "running": true}';

/** Answers `query-status` in QEMU's layout and `odd-layout` with the id first. */
const upstreamReply = ({ execute, id }: FakeRequest): string =>
  execute === "odd-layout"
    ? `{"id": ${id}, "return": {"b": 1, "a": 2}}\r\n`
    : `{"return": ${execute === "query-status" ? STATUS : "{}"}, "id": ${id}}\r\n`;

/** Sends lines on a raw socket and collects the reply lines. */
async function rawExchange(socket: string, requests: string[]): Promise<string[]> {
  const connection: Socket = connect({ path: socket });
  const lines: string[] = [];
  let buffered = "";
  const want = 2 + requests.length; // greeting, qmp_capabilities, the replies
  await new Promise<void>((resolve, reject) => {
    connection.on("error", reject);
    connection.setEncoding("utf8").on("data", (text: string) => {
      buffered += text;
      for (let end = buffered.indexOf("\r\n"); end >= 0; end = buffered.indexOf("\r\n")) {
        lines.push(buffered.slice(0, end));
        buffered = buffered.slice(end + 2);
        if (lines.length === 1) connection.write('{"execute": "qmp_capabilities"}\n');
        if (lines.length === 2) connection.write(requests.join(""));
        if (lines.length === want) resolve();
      }
    });
  });
  connection.destroy();
  return lines.slice(2);
}

it("relays QEMU's return text with the client's id, big integers included; other layouts re-serialised", async () => {
  const upstreamSocket = path.join(dir, "upstream.sock");
  const proxySocket = path.join(dir, "proxy.sock");
  const upstream = await startFakeQmpServer(upstreamSocket, upstreamReply);
  const client = await QmpClient.connect(`unix:${upstreamSocket}`);
  const server = new QmpServer({
    handlers: {},
    fallback: (command) => (args) => client.execute(command, args, { raw: true }),
  });
  await server.listen(`unix:${proxySocket}`);
  try {
    const replies = await rawExchange(proxySocket, [
      '{"execute": "query-status", "id": "abc"}\n',
      '{"execute": "query-status", "id": {"n": [1, 2]}}\n',
      '{"execute": "odd-layout", "id": 3}\n',
    ]);
    expect(replies).toEqual([
      `{"return": ${STATUS}, "id": "abc"}`,
      `{"return": ${STATUS}, "id": {"n": [1, 2]}}`,
      '{"return": {"a": 2, "b": 1}, "id": 3}',
    ]);
  } finally {
    await server.close();
    await client.close();
    await upstream.close();
  }
});

it("keeps text only when asked, and freezes a value that carries it", async () => {
  const upstreamSocket = path.join(dir, "upstream2.sock");
  const upstream = await startFakeQmpServer(upstreamSocket, upstreamReply);
  const client = await QmpClient.connect(`unix:${upstreamSocket}`);
  try {
    const plain = (await client.execute("query-status")) as object;
    expect(rawTextOf(plain)).toBeUndefined();
    const kept = (await client.execute("query-status", undefined, { raw: true })) as Record<string, unknown>;
    expect(rawTextOf(kept)).toBe(STATUS);
    expect(() => {
      kept.status = "paused";
    }).toThrow(TypeError);
  } finally {
    await client.close();
    await upstream.close();
  }
});
