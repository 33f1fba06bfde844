/**
 * Test-only: two real QEMUs (adapters/qemu-pair.ts), a job-facade proxy in front of each on a
 * unix socket, and clients of those proxies that record every event they receive. `stop()`
 * closes clients and proxies, kills both QEMUs and removes every file, also after a failure.
 */
import path from "node:path";
import { createJobFacadeProxy, type JobFacadeProxy } from "../../adapters/proxy.ts";
import { findQemuBinary, type QemuPair, startQemuPair } from "../../adapters/qemu-pair.ts";
import { QmpClient } from "../../src/qmp/client.ts";
import type { JsonObject, JsonValue } from "../../src/qmp/json-value.ts";
import type { QmpEvent } from "../../src/qmp/protocol.ts";

/** `REQUIRE_QEMU=1` turns a missing binary into a failure instead of a loud skip. */
export function migrationSkipReason(): string | undefined {
  if (findQemuBinary()) return undefined;
  if (process.env.REQUIRE_QEMU === "1") throw new Error("REQUIRE_QEMU=1 but no qemu-system-x86_64 found");
  return "SKIPPED: no qemu-system-x86_64 on PATH (set QEMU=PATH); real-QEMU migration tests did not run";
}

/** A client of a proxy that keeps every event, in arrival order. */
export class RecordingClient {
  readonly events: QmpEvent[] = [];
  private constructor(readonly client: QmpClient) {
    void (async () => {
      for await (const event of client.eventsOf()) this.events.push(event);
    })();
  }

  static async connect(address: string): Promise<RecordingClient> {
    return new RecordingClient(await QmpClient.connect(address));
  }

  execute(command: string, args?: JsonObject): Promise<JsonValue> {
    return this.client.execute(command, args);
  }

  /** The job's JOB_STATUS_CHANGE statuses, in order. */
  statuses(id: string): string[] {
    return this.of("JOB_STATUS_CHANGE", id).map((d) => String(d.status));
  }

  substatuses(id: string): string[] {
    return this.of("JOB_SUBSTATUS_CHANGE", id).map((d) => String(d.substatus));
  }

  /** "status X" / "sub Y" for one job, in arrival order. */
  trace(id: string): string[] {
    return this.events.flatMap((e) => {
      if (e.data?.id !== id) return [];
      if (e.event === "JOB_STATUS_CHANGE") return [`status ${e.data.status}`];
      if (e.event === "JOB_SUBSTATUS_CHANGE") return [`sub ${e.data.substatus}`];
      return [];
    });
  }

  /** Waits until the job reported `substatus` (or any of them). */
  async waitSubstatus(id: string, wanted: string | string[], timeoutMs = 30_000): Promise<string> {
    const list = typeof wanted === "string" ? [wanted] : wanted;
    return waitUntil(
      () => this.substatuses(id).find((s) => list.includes(s)),
      `job ${id} substatus ${list}`,
      timeoutMs,
    );
  }

  async waitStatus(id: string, wanted: string, timeoutMs = 30_000): Promise<string> {
    return waitUntil(
      () => this.statuses(id).find((s) => s === wanted),
      `job ${id} status ${wanted}`,
      timeoutMs,
    );
  }

  async jobs(): Promise<JsonObject[]> {
    return (await this.execute("query-jobs")) as JsonObject[];
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private of(event: string, id: string): JsonObject[] {
    return this.events.filter((e) => e.event === event && e.data?.id === id).map((e) => e.data as JsonObject);
  }
}

export async function waitUntil<T>(probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface MigrationHarness {
  pair: QemuPair;
  sourceProxy: JobFacadeProxy;
  destinationProxy: JobFacadeProxy;
  sourceAddress: string;
  destinationAddress: string;
  source: RecordingClient;
  destination: RecordingClient;
  /** Another client of the source proxy. */
  connectSource(): Promise<RecordingClient>;
  stop(): Promise<void>;
}

export async function startMigrationHarness(fillMiB = 48): Promise<MigrationHarness> {
  const pair = await startQemuPair({ fillMiB });
  const clients: RecordingClient[] = [];
  const proxies: JobFacadeProxy[] = [];
  const stop = async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await Promise.all(proxies.map((p) => p.close().catch(() => undefined)));
    await pair.stop();
  };
  try {
    const sourceAddress = `unix:${path.join(pair.dir, "source-proxy.sock")}`;
    const destinationAddress = `unix:${path.join(pair.dir, "destination-proxy.sock")}`;
    const facade = { pollIntervalMs: 200 };
    proxies.push(await createJobFacadeProxy({ upstream: pair.source.qmp, listen: [sourceAddress], facade }));
    proxies.push(
      await createJobFacadeProxy({ upstream: pair.destination.qmp, listen: [destinationAddress], facade }),
    );
    const connect = async (address: string) => {
      const client = await RecordingClient.connect(address);
      clients.push(client);
      return client;
    };
    return {
      pair,
      sourceProxy: proxies[0] as JobFacadeProxy,
      destinationProxy: proxies[1] as JobFacadeProxy,
      sourceAddress,
      destinationAddress,
      source: await connect(sourceAddress),
      destination: await connect(destinationAddress),
      connectSource: () => connect(sourceAddress),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
