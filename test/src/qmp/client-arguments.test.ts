/**
 * What the client puts on the wire for arguments: none when there are none (an empty object
 * included — QEMU takes a missing `arguments` as `{}` and answers sooner without it, so a proxy
 * relaying an argument-less request must not add one), and the members as given otherwise.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { QmpClient } from "../../../src/qmp/index.ts";

const dir = mkdtempSync(path.join(tmpdir(), "jobshim-client-args-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A minimal QMP server that answers every request with `{}` and keeps each request line. */
async function recordingServer(socket: string): Promise<{ server: Server; lines: string[] }> {
  const lines: string[] = [];
  const server = createServer((connection) => {
    connection.write(
      '{"QMP":{"version":{"qemu":{"micro":0,"minor":2,"major":7},"package":""},"capabilities":[]}}\r\n',
    );
    let buffered = "";
    connection.setEncoding("utf8").on("data", (text: string) => {
      buffered += text;
      for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        lines.push(line);
        connection.write(`{"return":{},"id":${JSON.parse(line).id}}\r\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return { server, lines };
}

it("sends no 'arguments' for none or an empty object, and the members as given otherwise", async () => {
  const socket = path.join(dir, "qmp.sock");
  const { server, lines } = await recordingServer(socket);
  const client = await QmpClient.connect(`unix:${socket}`);
  try {
    await client.execute("query-status");
    await client.execute("query-status", {});
    await client.execute("job-cancel", { id: "j" });
    expect(lines.slice(1).map((line) => JSON.parse(line))).toEqual([
      { execute: "query-status", id: 2 },
      { execute: "query-status", id: 3 },
      { execute: "job-cancel", id: 4, arguments: { id: "j" } },
    ]);
  } finally {
    await client.close();
    await new Promise((resolve) => server.close(resolve));
  }
});
