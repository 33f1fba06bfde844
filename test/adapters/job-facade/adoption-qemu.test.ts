/**
 * Real QEMU 7.2: every migration QEMU reports is a job of type `migration` behind the job
 * facade (decision 0001, 14) — a legacy `migrate` passed through, one started on QEMU's other
 * monitor, a destination started with `-incoming URI`, and one already running when the facade
 * attaches. Each gets its default id, walks JobSTT, and answers the job verbs.
 */
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createJobFacadeProxy } from "../../../adapters/proxy.ts";
import { type QemuPairOptions, startQemuPair } from "../../../adapters/qemu-pair.ts";
import { QmpClient } from "../../../src/qmp/client.ts";
import type { JsonObject } from "../../../src/qmp/json-value.ts";
import { migrationSkipReason, RecordingClient } from "../../helpers/migration-pair.ts";
import { isLegalJobWalk } from "./legal-walk.ts";

const skipReason = migrationSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason} ***\n`);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

const MIB = 1024 * 1024;
const facade = { pollIntervalMs: 200 };

async function pair(options: QemuPairOptions = {}) {
  const p = await startQemuPair({ fillMiB: 48, ...options });
  cleanups.push(() => p.stop());
  return p;
}

async function proxyFor(dir: string, role: string, upstream: string): Promise<string> {
  const address = `unix:${path.join(dir, `${role}-proxy.sock`)}`;
  const proxy = await createJobFacadeProxy({ upstream, listen: [address], facade });
  cleanups.push(() => proxy.close());
  return address;
}

async function client(address: string): Promise<RecordingClient> {
  const c = await RecordingClient.connect(address);
  cleanups.push(() => c.close());
  return c;
}

async function raw(address: string): Promise<QmpClient> {
  const c = await QmpClient.connect(address);
  cleanups.push(() => c.close());
  return c;
}

const COMPLETED_WALK = [
  "status created",
  "status running",
  "sub setup",
  "sub active",
  "status waiting",
  "status pending",
  "status concluded",
  "sub completed",
  "status null",
];

describe.skipIf(skipReason !== undefined)("adopted migrations on real QEMU", () => {
  it("a legacy migrate passed through the job facade is job 'migration', with its events", async () => {
    const p = await pair();
    const destination = await client(await proxyFor(p.dir, "destination", p.destination.qmp));
    await destination.execute("job-migrate-incoming", { "job-id": "in0", uri: p.migrationUri });
    const source = await client(await proxyFor(p.dir, "source", p.source.qmp));
    await source.execute("migrate-set-parameters", { "max-bandwidth": 16 * MIB });
    await source.execute("migrate", { uri: p.migrationUri });
    await source.waitSubstatus("migration", "active");
    const [job] = await source.jobs();
    expect(job).toMatchObject({
      id: "migration",
      type: "migration",
      status: "running",
      direction: "outgoing",
      substatus: "active",
      uri: p.migrationUri,
    });
    // One migration at a time: QEMU's refusal, and no trace of a second job.
    await expect(
      source.execute("job-migrate", { "job-id": "m1", uri: p.migrationUri }),
    ).rejects.toMatchObject({ errorClass: "GenericError", desc: "There's a migration process in progress" });
    await source.waitStatus("migration", "null");
    expect(source.trace("migration")).toEqual(COMPLETED_WALK);
    expect(source.trace("m1")).toEqual([]);
    // Auto-dismissed, like a block job started without job-id; QEMU keeps its own answer.
    expect(await source.jobs()).toEqual([]);
    expect(await source.execute("query-migrate")).toMatchObject({ status: "completed" });
    await destination.waitSubstatus("in0", "completed");
  }, 60_000);

  it("a migration started on QEMU's other monitor is adopted; job-cancel cancels it in QEMU", async () => {
    const p = await pair({ secondMonitor: true });
    const dest = await raw(p.destination.qmp);
    await dest.execute("migrate-incoming", { uri: p.migrationUri });
    const source = await client(await proxyFor(p.dir, "source", p.source.qmp));
    const other = await raw(p.source.otherQmp as string);
    await other.execute("migrate-set-parameters", { "max-bandwidth": 4 * MIB });
    await other.execute("migrate", { uri: p.migrationUri });
    await source.waitSubstatus("migration", "active");
    const [job] = await source.jobs();
    expect(job).toMatchObject({ id: "migration", status: "running", substatus: "active", uri: "" });
    await source.execute("job-cancel", { id: "migration" });
    await source.waitStatus("migration", "null");
    expect(source.trace("migration")).toEqual([
      "status created",
      "status running",
      "sub setup",
      "sub active",
      "status aborting",
      "sub cancelling",
      "status concluded",
      "sub cancelled",
      "status null",
    ]);
    expect(await other.execute("query-migrate")).toMatchObject({ status: "cancelled" });
  }, 60_000);

  it("a destination started with -incoming URI is job 'migration-incoming' from attach to completed", async () => {
    const p = await pair({ incoming: "tcp:127.0.0.1:0" });
    const destination = await client(await proxyFor(p.dir, "destination", p.destination.qmp));
    const [listening] = await destination.jobs();
    const info = (await destination.execute("query-migrate")) as JsonObject;
    const [address] = info["socket-address"] as JsonObject[];
    const uri = `tcp:127.0.0.1:${String(address?.port)}`;
    expect(listening).toMatchObject({
      id: "migration-incoming",
      type: "migration",
      status: "running",
      direction: "incoming",
      substatus: "setup",
      uri,
    });
    const source = await client(await proxyFor(p.dir, "source", p.source.qmp));
    await source.execute("job-migrate", { "job-id": "m0", uri });
    await destination.waitStatus("migration-incoming", "null");
    const trace = destination.trace("migration-incoming");
    expect(isLegalJobWalk(["status created", "status running", ...trace]), trace.join(", ")).toBe(true);
    expect(trace.slice(-3)).toEqual(["status concluded", "sub completed", "status null"]);
    await source.waitSubstatus("m0", "completed");
  }, 60_000);

  it("a migration already running when the facade attaches is adopted where it is", async () => {
    const p = await pair({ secondMonitor: true });
    const dest = await raw(p.destination.qmp);
    await dest.execute("migrate-incoming", { uri: p.migrationUri });
    const direct = await raw(p.source.qmp);
    await direct.execute("migrate-set-parameters", { "max-bandwidth": 16 * MIB });
    await direct.execute("migrate", { uri: p.migrationUri });
    await direct.close();
    const address = await proxyFor(p.dir, "source", p.source.qmp);
    const source = await client(address);
    const [job] = await source.jobs();
    expect(job).toMatchObject({ id: "migration", status: "running", direction: "outgoing" });
    expect(["setup", "active"]).toContain(job?.substatus);
    // The events capability was refused while QEMU migrated: the facade follows by polling.
    await source.waitStatus("migration", "null");
    const trace = source.trace("migration");
    expect(isLegalJobWalk(["status created", "status running", ...trace]), trace.join(", ")).toBe(true);
    expect(trace.slice(-3)).toEqual(["status concluded", "sub completed", "status null"]);
    // Afterwards the facade has its events again: the next migration is seen at once.
    const other = await raw(p.source.otherQmp as string);
    const caps = (await other.execute("query-migrate-capabilities")) as JsonObject[];
    expect(caps.find((c) => c.capability === "events")?.state).toBe(true);
  }, 60_000);

  it("a hold its starter asked for (pause-before-switchover) is not released by the facade; job-finalize releases it", async () => {
    const p = await pair({ secondMonitor: true });
    const dest = await raw(p.destination.qmp);
    await dest.execute("migrate-incoming", { uri: p.migrationUri });
    const source = await client(await proxyFor(p.dir, "source", p.source.qmp));
    const other = await raw(p.source.otherQmp as string);
    await other.execute("migrate-set-capabilities", {
      capabilities: [{ capability: "pause-before-switchover", state: true }],
    });
    await other.execute("migrate", { uri: p.migrationUri });
    await source.waitSubstatus("migration", "pre-switchover");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await other.execute("query-migrate")).toMatchObject({ status: "pre-switchover" });
    const [held] = await source.jobs();
    expect(held).toMatchObject({ id: "migration", status: "pending", substatus: "pre-switchover" });
    await source.execute("job-finalize", { id: "migration" });
    await source.waitStatus("migration", "null");
    expect(source.trace("migration")).toEqual([
      "status created",
      "status running",
      "sub setup",
      "sub active",
      "status waiting",
      "status pending",
      "sub pre-switchover",
      "sub device",
      "status concluded",
      "sub completed",
      "status null",
    ]);
  }, 60_000);
});
