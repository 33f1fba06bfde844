/**
 * Real QEMU 7.2 through legacy∘jobs (a legacy-facade proxy over a job-facade proxy over QEMU):
 * the legacy client sees migrations the legacy facade did not start exactly as QEMU shows them
 * (decision 0001, 14; issue 12) — a destination started with `-incoming tcp:127.0.0.1:0`, whose
 * port a client learns from query-migrate's `socket-address` as QEMU's migration-test does; a
 * migration already running when the proxies attach; one another job client started.
 */
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createJobFacadeProxy, createLegacyFacadeProxy } from "../../../adapters/proxy.ts";
import { type QemuPairOptions, startQemuPair } from "../../../adapters/qemu-pair.ts";
import { QmpClient } from "../../../src/qmp/client.ts";
import type { JsonObject } from "../../../src/qmp/json-value.ts";
import { migrationSkipReason, RecordingClient } from "../../helpers/migration-pair.ts";

const skipReason = migrationSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason} ***\n`);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

const MIB = 1024 * 1024;

async function pair(options: QemuPairOptions = {}) {
  const p = await startQemuPair({ fillMiB: 48, ...options });
  cleanups.push(() => p.stop());
  return p;
}

/** legacy∘jobs over one QEMU; returns the legacy address and the job address. */
async function chain(dir: string, role: string, qmp: string): Promise<{ legacy: string; jobs: string }> {
  const jobs = `unix:${path.join(dir, `${role}-jobs.sock`)}`;
  const legacy = `unix:${path.join(dir, `${role}-legacy.sock`)}`;
  const jobProxy = await createJobFacadeProxy({
    upstream: qmp,
    listen: [jobs],
    facade: { pollIntervalMs: 200 },
  });
  cleanups.push(() => jobProxy.close());
  const legacyProxy = await createLegacyFacadeProxy({ upstream: jobs, listen: [legacy] });
  cleanups.push(() => legacyProxy.close());
  return { legacy, jobs };
}

async function client(address: string): Promise<RecordingClient> {
  const c = await RecordingClient.connect(address);
  cleanups.push(() => c.close());
  return c;
}

const caps = (states: Record<string, boolean>) => ({
  capabilities: Object.entries(states).map(([capability, state]) => ({ capability, state })),
});

const migrationEvents = (c: RecordingClient) =>
  c.events.filter((e) => e.event === "MIGRATION").map((e) => String(e.data?.status));

async function waitStatus(c: RecordingClient, status: string): Promise<JsonObject> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const info = (await c.execute("query-migrate")) as JsonObject;
    if (info.status === status) return info;
    if (Date.now() > deadline) throw new Error(`never reached ${status}: ${JSON.stringify(info)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(skipReason !== undefined)("legacy∘jobs sees every migration of real QEMU", () => {
  it("-incoming tcp:127.0.0.1:0: socket-address while listening, postcopy events, blocktime at the end", async () => {
    const p = await pair({ incoming: "tcp:127.0.0.1:0" });
    const destination = await client((await chain(p.dir, "destination", p.destination.qmp)).legacy);
    const source = await client((await chain(p.dir, "source", p.source.qmp)).legacy);
    const listening = (await destination.execute("query-migrate")) as JsonObject;
    expect(listening.status).toBeUndefined();
    const [address] = listening["socket-address"] as JsonObject[];
    expect(address).toMatchObject({ type: "inet", host: "127.0.0.1" });
    expect(await destination.execute("query-jobs")).toEqual([]);
    await destination.execute(
      "migrate-set-capabilities",
      caps({ events: true, "postcopy-ram": true, "postcopy-blocktime": true }),
    );
    await source.execute("migrate-set-capabilities", caps({ events: true, "postcopy-ram": true }));
    await source.execute("migrate-set-parameters", { "max-bandwidth": 8 * MIB });
    await source.execute("migrate", { uri: `tcp:127.0.0.1:${String(address?.port)}` });
    await waitStatus(source, "active");
    await source.execute("migrate-start-postcopy");
    await waitStatus(source, "completed");
    const end = await waitStatus(destination, "completed");
    expect(end).toHaveProperty("postcopy-blocktime");
    expect(end).toHaveProperty("postcopy-vcpu-blocktime");
    expect(end["socket-address"]).toBeUndefined();
    expect(migrationEvents(destination)).toEqual(["active", "postcopy-active", "completed"]);
    expect(migrationEvents(source)).toEqual(["setup", "active", "postcopy-active", "completed"]);
    // No job event ever reaches a legacy client.
    expect(destination.events.filter((e) => e.event.startsWith("JOB_"))).toEqual([]);
  }, 60_000);

  it("a migration already running when legacy∘jobs attaches: query-migrate follows it to completed", async () => {
    const p = await pair();
    const dest = await QmpClient.connect(p.destination.qmp);
    cleanups.push(() => dest.close());
    await dest.execute("migrate-incoming", { uri: p.migrationUri });
    const direct = await QmpClient.connect(p.source.qmp);
    await direct.execute("migrate-set-parameters", { "max-bandwidth": 16 * MIB });
    await direct.execute("migrate", { uri: p.migrationUri });
    await direct.close();
    const source = await client((await chain(p.dir, "source", p.source.qmp)).legacy);
    // As from QEMU itself: capabilities are refused while it migrates.
    await expect(source.execute("migrate-set-capabilities", caps({ events: true }))).rejects.toMatchObject({
      errorClass: "GenericError",
      desc: "There's a migration process in progress",
    });
    const running = (await source.execute("query-migrate")) as JsonObject;
    expect(["setup", "active"]).toContain(running.status);
    await expect(source.execute("migrate", { uri: p.migrationUri })).rejects.toMatchObject({
      desc: "There's a migration process in progress",
    });
    const end = await waitStatus(source, "completed");
    expect(end).toHaveProperty("ram");
    // QEMU's `events` was off when the proxies attached, so this client's is off: no MIGRATION.
    expect(migrationEvents(source)).toEqual([]);
    expect(source.events.filter((e) => e.event.startsWith("JOB_"))).toEqual([]);
  }, 60_000);

  it("a migration another job client starts: MIGRATION events and query-migrate, migrate_cancel cancels it", async () => {
    const p = await pair();
    const dest = await QmpClient.connect(p.destination.qmp);
    cleanups.push(() => dest.close());
    await dest.execute("migrate-incoming", { uri: p.migrationUri });
    const addresses = await chain(p.dir, "source", p.source.qmp);
    const legacy = await client(addresses.legacy);
    await legacy.execute("migrate-set-capabilities", caps({ events: true }));
    const jobs = await client(addresses.jobs);
    await jobs.execute("job-migrate", { "job-id": "m0", uri: p.migrationUri, "max-bandwidth": 4 * MIB });
    await jobs.waitSubstatus("m0", "active");
    expect(await waitStatus(legacy, "active")).toHaveProperty("ram");
    await legacy.execute("migrate_cancel");
    await waitStatus(legacy, "cancelled");
    await jobs.waitSubstatus("m0", "cancelled");
    expect(migrationEvents(legacy)).toEqual(["setup", "active", "cancelling", "cancelled"]);
    expect(await legacy.execute("query-jobs")).toEqual([]);
  }, 60_000);

  it("-incoming URI destination cut off in postcopy: query-migrate says postcopy-paused, as QEMU does", async () => {
    const p = await pair({ incoming: "tcp:127.0.0.1:0" });
    const stack = await chain(p.dir, "destination", p.destination.qmp);
    const destination = await client(stack.legacy);
    // QEMU's own answer, passed through the job facade beneath.
    const qemu = await client(stack.jobs);
    const listening = (await destination.execute("query-migrate")) as JsonObject;
    const [address] = listening["socket-address"] as JsonObject[];
    await destination.execute("migrate-set-capabilities", caps({ events: true, "postcopy-ram": true }));
    const source = await QmpClient.connect(p.source.qmp);
    cleanups.push(() => source.close());
    await source.execute("migrate-set-capabilities", caps({ "postcopy-ram": true }));
    await source.execute("migrate-set-parameters", {
      "max-bandwidth": 8 * MIB,
      "max-postcopy-bandwidth": 4 * MIB,
    });
    await source.execute("migrate", { uri: `tcp:127.0.0.1:${String(address?.port)}` });
    await waitStatus(destination, "active");
    await source.execute("migrate-start-postcopy");
    await waitStatus(destination, "postcopy-active");
    // 7.2 says postcopy-active before its postcopy runs; a cut in that gap fails instead.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await source.execute("migrate-pause");
    const paused = await waitStatus(destination, "postcopy-paused");
    const own = (await qemu.execute("query-migrate")) as JsonObject;
    expect(own.status).toBe("postcopy-paused");
    expect(Object.keys(paused).sort()).toEqual(Object.keys(own).sort());
    expect(paused["socket-address"]).toEqual(own["socket-address"]);
    expect(migrationEvents(destination)).toEqual(["active", "postcopy-active", "postcopy-paused"]);
    expect(destination.events.filter((e) => e.event.startsWith("JOB_"))).toEqual([]);
  }, 60_000);
});
