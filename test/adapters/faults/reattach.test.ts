/**
 * Real QEMU 7.2 keeps migrating while the proxy loses it: the proxy's QMP socket is closed and
 * reopened, or the whole proxy is restarted. The job keeps its id; what its clients were told
 * before the break and what the next clients are told after it add up to one migration's walk,
 * with nothing told twice, nothing invented and nothing QEMU still reports left out.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { JobFacade } from "../../../adapters/job-facade/facade.ts";
import { createJobFacadeProxy } from "../../../adapters/proxy.ts";
import { type QemuPair, startQemuPair } from "../../../adapters/qemu-pair.ts";
import { createReconnectingProxy, type ReconnectingProxy } from "../../../adapters/reconnecting-proxy.ts";
import type { JsonObject } from "../../../src/qmp/json-value.ts";
import { migrationSkipReason, RecordingClient, waitUntil } from "../../helpers/migration-pair.ts";
import { isLegalJobWalk } from "../job-facade/legal-walk.ts";
import { sleep } from "./fault-kit.ts";

const skipReason = migrationSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason} ***\n`);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

interface Setup {
  pair: QemuPair;
  sourceAddress: string;
  journal: string;
  startProxy(): Promise<ReconnectingProxy>;
  connect(address: string): Promise<RecordingClient>;
}

async function setup(): Promise<Setup> {
  const pair = await startQemuPair({ fillMiB: 48 });
  cleanups.push(() => pair.stop());
  const sourceAddress = `unix:${path.join(pair.dir, "source-proxy.sock")}`;
  const journal = path.join(pair.dir, "source-job.json");
  const destinationAddress = `unix:${path.join(pair.dir, "destination-proxy.sock")}`;
  const destinationProxy = await createJobFacadeProxy({
    upstream: pair.destination.qmp,
    listen: [destinationAddress],
  });
  cleanups.push(() => destinationProxy.close());
  const connect = async (address: string) => {
    const client = await RecordingClient.connect(address);
    cleanups.push(() => client.close());
    return client;
  };
  const destination = await connect(destinationAddress);
  await destination.execute("job-migrate-incoming", { "job-id": "in", uri: pair.migrationUri });
  const startProxy = async () => {
    const proxy = await createReconnectingProxy({
      upstream: pair.source.qmp,
      listen: [sourceAddress],
      jobFacade: { pollIntervalMs: 200 },
      journal,
      retryMs: 50,
      log: () => undefined,
    });
    cleanups.push(() => proxy.close());
    await proxy.whenConnected();
    return proxy;
  };
  return { pair, sourceAddress, journal, startProxy, connect };
}

/** Starts a ~3 s migration as job m0 and waits until it copies. */
async function migrate(s: Setup, client: RecordingClient): Promise<void> {
  await client.execute("job-migrate", {
    "job-id": "m0",
    uri: s.pair.migrationUri,
    "max-bandwidth": 16 * 1024 * 1024,
    "auto-dismiss": false,
  });
  await client.waitSubstatus("m0", "active");
  await sleep(300);
}

/** Before and after the break together: one walk, every status once, ending completed. */
async function expectOneWalk(before: RecordingClient, after: RecordingClient): Promise<void> {
  await after.waitStatus("m0", "concluded", 30_000);
  const trace = [...before.trace("m0"), ...after.trace("m0")];
  expect(isLegalJobWalk(trace), trace.join(", ")).toBe(true);
  expect([...before.statuses("m0"), ...after.statuses("m0")]).toEqual([
    "created",
    "running",
    "waiting",
    "pending",
    "concluded",
  ]);
  const subs = [...before.substatuses("m0"), ...after.substatuses("m0")];
  expect(
    subs.filter((s, i) => s === subs[i - 1]),
    subs.join(", "),
  ).toEqual([]);
  expect(subs.at(-1)).toBe("completed");
  expect(after.statuses("m0")[0]).not.toBe("created");
  const [job] = (await after.execute("query-jobs")) as JsonObject[];
  expect(job).toMatchObject({ id: "m0", status: "concluded", substatus: "completed" });
  expect(job?.error).toBeUndefined();
}

describe.skipIf(skipReason !== undefined)("the proxy loses a QEMU that keeps migrating", () => {
  it("upstream socket closed and reopened: same job, same id, one walk", async () => {
    const s = await setup();
    const proxy = await s.startProxy();
    const before = await s.connect(s.sourceAddress);
    await migrate(s, before);
    const generation = await proxy.whenConnected();
    await (generation.facade as JobFacade).upstream.close();
    await waitUntil(() => (proxy.generations === 2 && proxy.current ? true : undefined), "reconnect", 10_000);
    const after = await s.connect(s.sourceAddress);
    await expectOneWalk(before, after);
  }, 60_000);

  it("proxy restarted mid-migration: the journal file gives the new proxy the same job", async () => {
    const s = await setup();
    const first = await s.startProxy();
    const before = await s.connect(s.sourceAddress);
    await migrate(s, before);
    await first.close();
    expect(existsSync(s.journal)).toBe(true);
    await s.startProxy();
    const after = await s.connect(s.sourceAddress);
    await expectOneWalk(before, after);
    await after.execute("job-dismiss", { id: "m0" });
    expect(existsSync(s.journal)).toBe(false);
  }, 60_000);
});
