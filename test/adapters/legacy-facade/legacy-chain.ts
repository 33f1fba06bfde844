/**
 * Test-only: the two real-QEMU targets the legacy catalogue compares. `direct` is QEMU itself;
 * `chain` is legacy∘jobs∘QEMU: a job-facade proxy on each QEMU's monitor and a legacy-facade
 * proxy on top of each, the legacy client talking to the top. `stop()` closes the proxies,
 * kills both QEMUs and removes every file, also after a failure.
 */
import path from "node:path";
import type { ScenarioTarget } from "../../../adapters/conformance/run-legacy-scenario.ts";
import { createJobFacadeProxy, createLegacyFacadeProxy } from "../../../adapters/proxy.ts";
import { startQemuPair } from "../../../adapters/qemu-pair.ts";

export interface RunningTarget extends ScenarioTarget {
  stop(): Promise<void>;
}

const FILL_MIB = 48;

export async function startDirect(): Promise<RunningTarget> {
  const pair = await startQemuPair({ fillMiB: FILL_MIB });
  return {
    source: pair.source.qmp,
    destination: pair.destination.qmp,
    migrationUri: pair.migrationUri,
    killDestination: () => pair.destination.kill(),
    stop: () => pair.stop(),
  };
}

export async function startChain(): Promise<RunningTarget> {
  const pair = await startQemuPair({ fillMiB: FILL_MIB });
  const closers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await pair.stop();
  };
  try {
    const stack = async (role: "source" | "destination", qmp: string) => {
      const jobs = `unix:${path.join(pair.dir, `${role}-jobs.sock`)}`;
      const legacy = `unix:${path.join(pair.dir, `${role}-legacy.sock`)}`;
      const jobProxy = await createJobFacadeProxy({
        upstream: qmp,
        listen: [jobs],
        facade: { pollIntervalMs: 200 },
      });
      closers.push(() => jobProxy.close());
      const legacyProxy = await createLegacyFacadeProxy({ upstream: jobs, listen: [legacy] });
      closers.push(() => legacyProxy.close());
      return legacy;
    };
    return {
      source: await stack("source", pair.source.qmp),
      destination: await stack("destination", pair.destination.qmp),
      migrationUri: pair.migrationUri,
      killDestination: () => pair.destination.kill(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
