/**
 * Real QEMU 7.2: the source QEMU is killed mid-migration behind a reconnecting job-facade proxy.
 * A call pending in the killed QEMU fails with the connection error, the clients are disconnected,
 * the destination's job fails (nothing hangs), the proxy keeps its listener (clients are greeted
 * and told QEMU is away), and once a QEMU listens on the same socket again the proxy serves it and
 * reports the job, under its id, as failed: the new QEMU has no migration.
 */
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createJobFacadeProxy, type JobFacadeProxy } from "../../../adapters/proxy.ts";
import { type QemuPair, startQemuPair } from "../../../adapters/qemu-pair.ts";
import { createReconnectingProxy, type ReconnectingProxy } from "../../../adapters/reconnecting-proxy.ts";
import { QmpClient } from "../../../src/qmp/client.ts";
import type { JsonObject } from "../../../src/qmp/json-value.ts";
import { QmpError } from "../../../src/qmp/qmp-error.ts";
import { migrationSkipReason, RecordingClient, waitUntil } from "../../helpers/migration-pair.ts";
import { type LoneQemu, sleep, startLoneQemu } from "./fault-kit.ts";

const skipReason = migrationSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason} ***\n`);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

describe.skipIf(skipReason !== undefined)("source QEMU killed mid-migration", () => {
  it("fails pending calls, disconnects clients, keeps serving and reconnects", async () => {
    const pair: QemuPair = await startQemuPair({ fillMiB: 48 });
    cleanups.push(() => pair.stop());
    const logs: string[] = [];
    const sourceAddress = `unix:${path.join(pair.dir, "source-proxy.sock")}`;
    const proxy: ReconnectingProxy = await createReconnectingProxy({
      upstream: pair.source.qmp,
      listen: [sourceAddress],
      jobFacade: { pollIntervalMs: 200 },
      retryMs: 100,
      log: (message) => logs.push(message),
    });
    cleanups.push(() => proxy.close());
    const destinationAddress = `unix:${path.join(pair.dir, "destination-proxy.sock")}`;
    const destinationProxy: JobFacadeProxy = await createJobFacadeProxy({
      upstream: pair.destination.qmp,
      listen: [destinationAddress],
      facade: { pollIntervalMs: 200 },
    });
    cleanups.push(() => destinationProxy.close());
    await proxy.whenConnected();

    const source = await RecordingClient.connect(sourceAddress);
    cleanups.push(() => source.close());
    const destination = await RecordingClient.connect(destinationAddress);
    cleanups.push(() => destination.close());
    await destination.execute("job-migrate-incoming", { "job-id": "in", uri: pair.migrationUri });
    await source.execute("job-migrate", {
      "job-id": "m0",
      uri: pair.migrationUri,
      "max-bandwidth": 24 * 1024 * 1024,
      "auto-dismiss": false,
    });
    await source.waitSubstatus("m0", "active");

    // Frozen, QEMU cannot answer: the call is pending in it when it dies.
    pair.source.process.kill("SIGSTOP");
    const pending = source.execute("query-status").catch((error: unknown) => error);
    await sleep(300);
    await pair.source.kill();
    const failure = await pending;
    expect(failure).toBeInstanceOf(QmpError);
    expect((failure as QmpError).desc).toMatch(/closed while 'query-status' was pending/);

    // The clients go; the job is not concluded yet: only QEMU can say what became of it.
    await waitUntil(() => (source.client.connected ? undefined : true), "source client disconnected", 10_000);
    expect(source.substatuses("m0").at(-1)).toBe("active");
    await destination.waitSubstatus("in", "failed", 15_000);

    // While QEMU is away the proxy still greets and answers, with a clear refusal.
    await waitUntil(() => (proxy.current ? undefined : true), "generation ended", 10_000);
    const waiting = await QmpClient.connect(sourceAddress);
    cleanups.push(() => waiting.close());
    const refusal = await waiting.execute("query-status").catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(QmpError);
    expect((refusal as QmpError).errorClass).toBe("GenericError");
    expect((refusal as QmpError).desc).toMatch(/is not connected; the proxy is reconnecting/);

    // QEMU's socket comes back: the proxy serves the new QEMU on the same listener.
    const socketPath = pair.source.qmp.slice("unix:".length);
    const revived: LoneQemu = await startLoneQemu(socketPath);
    cleanups.push(() => revived.kill());
    await proxy.whenConnected();
    expect(proxy.generations).toBe(2);
    await waitUntil(() => (waiting.connected ? undefined : true), "waiting client disconnected", 5000);
    const again = await QmpClient.connect(sourceAddress);
    cleanups.push(() => again.close());
    expect(((await again.execute("query-status")) as JsonObject).status).toBe("running");
    const [job] = (await again.execute("query-jobs")) as JsonObject[];
    expect(job).toMatchObject({ id: "m0", status: "concluded", substatus: "failed" });
    expect(job?.error).toBe("QEMU exited during the migration");
    expect(logs.some((l) => l.includes("went away"))).toBe(true);
  }, 60_000);
});
