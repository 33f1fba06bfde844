/**
 * Real QEMU 7.2 behind the job-facade proxy, under load and misbehaving clients: 50 clients
 * issue commands while a migration runs, one client stops reading and floods requests, one
 * disconnects in the middle of its commands. Every reply must be right, every reading client
 * must get every event in the one order, the slow client must be disconnected with a logged
 * reason once its unread output passes the bound, and nobody else may notice.
 */
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { JsonObject } from "../../../src/qmp/json-value.ts";
import { DEFAULT_MAX_PENDING_OUTPUT } from "../../../src/qmp/server.ts";
import {
  type MigrationHarness,
  migrationSkipReason,
  type RecordingClient,
  startMigrationHarness,
  waitUntil,
} from "../../helpers/migration-pair.ts";
import { sleep } from "./fault-kit.ts";

const skipReason = migrationSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason} ***\n`);

const CLIENTS = 50;
const ROUNDS = 12;

let harness: MigrationHarness | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const socket of sockets.splice(0)) socket.destroy();
  await harness?.stop();
  harness = undefined;
});

/** A raw client that negotiates, then sends `count` requests and never reads a byte. */
function stopReading(path: string, count: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    sockets.push(socket);
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.pause();
      const requests = [`{"execute":"qmp_capabilities"}`];
      for (let i = 0; i < count; i++) requests.push(`{"execute":"query-qmp-schema","id":${i}}`);
      socket.write(`${requests.join("\n")}\n`);
      resolve(socket);
    });
  });
}

/** One client's commands; each reply is checked against what that command must answer. */
async function drive(client: RecordingClient, index: number): Promise<number> {
  let checked = 0;
  const own = eventsOn(index);
  for (let round = 0; round < ROUNDS; round++) {
    const caps = (await client.execute("query-migrate-capabilities")) as JsonObject[];
    expect(caps.find((c) => c.capability === "events")?.state).toBe(own);
    const status = (await client.execute("query-status")) as JsonObject;
    expect(["running", "finish-migrate", "postmigrate"]).toContain(status.status);
    const jobs = (await client.execute("query-jobs")) as JsonObject[];
    expect(jobs.every((j) => j.id === "m0" && j.type === "migration")).toBe(true);
    checked += 3;
  }
  return checked;
}

/** Half the clients turn QEMU's MIGRATION events off (the facade keeps it per client). */
const eventsOn = (index: number) => index % 2 === 0;

describe.skipIf(skipReason !== undefined)("load and misbehaving clients", () => {
  it("50 clients during a migration, a slow reader dropped, a quitter harmless", async () => {
    const logged: string[] = [];
    const realWrite = process.stderr.write.bind(process.stderr);
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      if (text.includes("disconnected client")) logged.push(text);
      return (realWrite as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    });
    harness = await startMigrationHarness(48);
    const h = harness;
    const socketPath = h.sourceAddress.slice("unix:".length);
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => h.connectSource()));
    for (const [i, client] of clients.entries())
      await client.execute("migrate-set-capabilities", {
        capabilities: [{ capability: "events", state: eventsOn(i) }],
      });
    await h.source.execute("migrate-set-capabilities", {
      capabilities: [{ capability: "events", state: true }],
    });
    const heapBefore = process.memoryUsage().heapUsed;

    await h.destination.execute("job-migrate-incoming", { "job-id": "in", uri: h.pair.migrationUri });
    await h.source.execute("job-migrate", {
      "job-id": "m0",
      uri: h.pair.migrationUri,
      "max-bandwidth": 24 * 1024 * 1024,
      "auto-dismiss": false,
    });
    const slow = await stopReading(socketPath, 80);
    const slowClosed = new Promise<void>((resolve) => slow.once("close", () => resolve()));
    // Disconnects in the middle of its commands.
    const quitter = connect(socketPath);
    sockets.push(quitter);
    quitter.on("error", () => undefined);
    quitter.write(
      `{"execute":"qmp_capabilities"}\n{"execute":"query-qmp-schema"}\n{"execute":"query-jobs"}\n`,
    );
    setTimeout(() => quitter.destroy(), 5);

    const replies = await Promise.all(clients.map((client, i) => drive(client, i)));
    await h.source.waitStatus("m0", "concluded", 30_000);
    await h.destination.waitSubstatus("in", "completed", 30_000);
    await sleep(300);

    expect(replies.reduce((a, b) => a + b, 0)).toBe(CLIENTS * ROUNDS * 3);
    // The slow reader was dropped with a reason, within the bound, and the others never noticed.
    await waitUntil(() => (logged.length > 0 ? true : undefined), "slow client dropped", 10_000);
    // A paused socket hears the close only once it reads what was already sent.
    slow.resume();
    await slowClosed;
    expect(logged.length).toBe(1);
    const unread = Number(/(\d+) bytes of output unread/.exec(logged[0] ?? "")?.[1]);
    expect(unread).toBeGreaterThan(DEFAULT_MAX_PENDING_OUTPUT);
    expect(unread).toBeLessThan(DEFAULT_MAX_PENDING_OUTPUT + 1024 * 1024);
    // Every client saw the job's full walk, and the same events in the same order as the
    // client that did nothing else; MIGRATION events exactly as it saw them, to those that want them.
    const reference = h.source;
    expect(reference.statuses("m0")).toEqual(["created", "running", "waiting", "pending", "concluded"]);
    const jobEvents = (c: RecordingClient) =>
      c.events.filter((e) => e.event.startsWith("JOB_")).map((e) => JSON.stringify(e));
    for (const client of clients) expect(jobEvents(client)).toEqual(jobEvents(reference));
    const migration = (c: RecordingClient) =>
      c.events.filter((e) => e.event === "MIGRATION").map((e) => JSON.stringify(e));
    expect(migration(reference).length).toBeGreaterThan(2);
    for (const [i, client] of clients.entries())
      expect(migration(client)).toEqual(eventsOn(i) ? migration(reference) : []);
    const all = (c: RecordingClient) => c.events.map((e) => JSON.stringify(e));
    for (const [i, client] of clients.entries()) if (eventsOn(i)) expect(all(client)).toEqual(all(reference));
    const heapAfter = process.memoryUsage().heapUsed;
    console.log(
      `load: ${CLIENTS} clients, ${replies.reduce((a, b) => a + b, 0)} replies checked, ` +
        `${jobEvents(reference).length} job events each, slow client dropped at ${unread} unread bytes, ` +
        `heap ${Math.round(heapBefore / 1e6)} -> ${Math.round(heapAfter / 1e6)} MB`,
    );
    await waitUntil(() => (clients.every((c) => c.client.connected) ? true : undefined), "clients up", 1000);
  }, 60_000);
});
