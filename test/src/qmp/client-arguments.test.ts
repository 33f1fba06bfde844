/**
 * What the client puts on the wire for arguments: none when there are none (an empty object
 * included — QEMU takes a missing `arguments` as `{}` and answers sooner without it, so a proxy
 * relaying an argument-less request must not add one), and the members as given otherwise.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { QmpClient } from "../../../src/qmp/index.ts";
import { startFakeQmpServer } from "../../helpers/fake-qmp-server.ts";

const dir = mkdtempSync(path.join(tmpdir(), "jobshim-client-args-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("sends no 'arguments' for none or an empty object, and the members as given otherwise", async () => {
  const socket = path.join(dir, "qmp.sock");
  const server = await startFakeQmpServer(socket);
  const client = await QmpClient.connect(`unix:${socket}`);
  try {
    await client.execute("query-status");
    await client.execute("query-status", {});
    await client.execute("job-cancel", { id: "j" });
    expect(server.lines.slice(1).map((line) => JSON.parse(line))).toEqual([
      { execute: "query-status", id: 2 },
      { execute: "query-status", id: 3 },
      { execute: "job-cancel", id: 4, arguments: { id: "j" } },
    ]);
  } finally {
    await client.close();
    await server.close();
  }
});
