/**
 * What a scenario runs against, started fresh for each scenario and stopped after it (also on
 * failure): a QEMU pair of the binary under test, and in front of it whatever the facade mode
 * needs. A QEMU with its own migration job is spoken to directly; the facades are only stacked
 * where the binary lacks the API the scenario speaks.
 */
import path from "node:path";
import { QmpClient } from "../../src/qmp/client.ts";
import { upstreamOf } from "../job-facade/upstream.ts";
import { createJobFacadeProxy, createLegacyFacadeProxy } from "../proxy.ts";
import { startQemuPair } from "../qemu-pair.ts";
import { injectingUpstream } from "./injecting-upstream.ts";
import type { JobTarget } from "./run-job-scenario.ts";
import type { ScenarioTarget } from "./run-legacy-scenario.ts";

export interface Running<T> {
  target: T;
  stop(): Promise<void>;
}

export interface TargetOptions {
  binary: string;
  /** The binary runs migration as a job itself: its job API is tested without the facade. */
  native: boolean;
}

/** Guest RAM of every conformance QEMU: small, so that each pair starts and migrates fast. */
const MEMORY_MIB = 64;
/** The facade's reconcile poll: quick, so that lost-CAS statuses show up within a scenario. */
const facade = { pollIntervalMs: 200 };

type Closer = () => Promise<unknown>;

/** How a scenario wants its QEMUs started beyond the defaults. */
export interface PairOptions {
  /** The destination listens from the start (`-incoming URI`), before any facade attaches. */
  listenAtStart?: boolean;
}

async function withPair<T>(
  options: TargetOptions,
  fillMiB: number,
  build: (pair: Awaited<ReturnType<typeof startQemuPair>>, closers: Closer[]) => Promise<T>,
  pairOptions: PairOptions = {},
): Promise<Running<T>> {
  const pair = await startQemuPair({
    binary: options.binary,
    memoryMiB: MEMORY_MIB,
    fillMiB,
    listenAtStart: pairOptions.listenAtStart === true,
  });
  const closers: Closer[] = [];
  const stop = async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    await pair.stop();
  };
  try {
    return { target: await build(pair, closers), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The job API: QEMU's own when native, else a job-facade proxy on each QEMU. */
export function startJobTarget(
  options: TargetOptions,
  fillMiB: number,
  pairOptions: PairOptions = {},
): Promise<Running<JobTarget>> {
  return withPair(
    options,
    fillMiB,
    async (pair, closers) => {
      const base = {
        migrationUri: pair.migrationUri,
        killDestination: () => pair.destination.kill(),
      };
      if (options.native) return { ...base, source: pair.source.qmp, destination: pair.destination.qmp };
      const sourceUpstream = injectingUpstream(upstreamOf(await QmpClient.connect(pair.source.qmp)));
      const serve = async (
        role: string,
        upstream: Parameters<typeof createJobFacadeProxy>[0]["upstream"],
      ) => {
        const address = `unix:${path.join(pair.dir, `${role}-jobs.sock`)}`;
        const proxy = await createJobFacadeProxy({ upstream, listen: [address], facade });
        closers.push(() => proxy.close());
        return address;
      };
      return {
        ...base,
        source: await serve("source", sourceUpstream),
        destination: await serve("destination", pair.destination.qmp),
        inject: (status: string | null) => sourceUpstream.inject(status),
      };
    },
    pairOptions,
  );
}

/** QEMU's own legacy API: the oracle of the legacy scenarios. */
export function startLegacyDirect(
  options: TargetOptions,
  fillMiB: number,
  pairOptions: PairOptions = {},
): Promise<Running<ScenarioTarget>> {
  return withPair(
    options,
    fillMiB,
    async (pair) => ({
      source: pair.source.qmp,
      destination: pair.destination.qmp,
      migrationUri: pair.migrationUri,
      killDestination: () => pair.destination.kill(),
    }),
    pairOptions,
  );
}

/**
 * The legacy API through the legacy facade: over the job facade over QEMU (legacy∘jobs∘QEMU), or
 * straight over QEMU's own migration job when native.
 */
export function startLegacyChain(
  options: TargetOptions,
  fillMiB: number,
  pairOptions: PairOptions = {},
): Promise<Running<ScenarioTarget>> {
  return withPair(
    options,
    fillMiB,
    async (pair, closers) => {
      const stack = async (role: "source" | "destination", qmp: string) => {
        let upstream = qmp;
        if (!options.native) {
          upstream = `unix:${path.join(pair.dir, `${role}-jobs.sock`)}`;
          const jobs = await createJobFacadeProxy({ upstream: qmp, listen: [upstream], facade });
          closers.push(() => jobs.close());
        }
        const legacy = `unix:${path.join(pair.dir, `${role}-legacy.sock`)}`;
        const proxy = await createLegacyFacadeProxy({ upstream, listen: [legacy] });
        closers.push(() => proxy.close());
        return legacy;
      };
      return {
        source: await stack("source", pair.source.qmp),
        destination: await stack("destination", pair.destination.qmp),
        migrationUri: pair.migrationUri,
        killDestination: () => pair.destination.kill(),
      };
    },
    pairOptions,
  );
}
