/**
 * QEMU's migration-test (multifd cases) starts the destination with `-incoming defer`, sends
 * migrate-incoming tcp:127.0.0.1:0 and at once reads query-migrate for the port QEMU chose. Through
 * legacy∘jobs that answer must already carry QEMU's `socket-address`: the job facade used to fill the
 * job's details only after its reply, so the legacy facade answered `{}` (libqtest then aborts).
 */
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createJobFacadeProxy, createLegacyFacadeProxy } from "../../../adapters/proxy.ts";
import { startQemuPair } from "../../../adapters/qemu-pair.ts";
import type { JsonObject } from "../../../src/qmp/json-value.ts";
import { migrationSkipReason, RecordingClient } from "../../helpers/migration-pair.ts";

const skipReason = migrationSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason} ***\n`);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/** A destination QEMU (`-incoming defer`) behind legacy∘jobs with the proxies' defaults. */
async function legacyOverJobsDestination(): Promise<RecordingClient> {
  const pair = await startQemuPair({ fillMiB: 0 });
  cleanups.push(() => pair.stop());
  const jobs = `unix:${path.join(pair.dir, "jobs.sock")}`;
  const legacy = `unix:${path.join(pair.dir, "legacy.sock")}`;
  const jobProxy = await createJobFacadeProxy({ upstream: pair.destination.qmp, listen: [jobs] });
  cleanups.push(() => jobProxy.close());
  const legacyProxy = await createLegacyFacadeProxy({ upstream: jobs, listen: [legacy] });
  cleanups.push(() => legacyProxy.close());
  const client = await RecordingClient.connect(legacy);
  cleanups.push(() => client.close());
  return client;
}

describe.skipIf(skipReason !== undefined)("migrate-incoming through legacy∘jobs on real QEMU", () => {
  // Three fresh destinations: the old code failed every one here, a race that a single try could miss.
  for (const attempt of [1, 2, 3])
    it(`the query-migrate right after the reply has QEMU's socket-address (destination ${attempt})`, async () => {
      const destination = await legacyOverJobsDestination();
      await destination.execute("migrate-incoming", { uri: "tcp:127.0.0.1:0" });
      const listening = (await destination.execute("query-migrate")) as JsonObject;
      expect(listening.status).toBeUndefined();
      const [address] = (listening["socket-address"] ?? []) as JsonObject[];
      expect(address).toMatchObject({ type: "inet", host: "127.0.0.1" });
      expect(Number(address?.port)).toBeGreaterThan(0);
    });
});
