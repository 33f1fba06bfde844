/**
 * The model is trusted only as far as this file checks it: every scenario runs on two real
 * QEMU 7.2 processes and on two models, and the normalised traces (replies and events on each
 * side, timestamps and counters hidden) must be equal. Two catalogues: this directory's
 * (catalogue.ts, finer: every reply, MIGRATION_PASS numbers, a mirror job) and engineer L's
 * legacy catalogue (adapters/conformance/catalogue/legacy.ts, read-only here). Without QEMU the comparisons skip loudly.
 */
import { describe, expect, it } from "vitest";
import { LEGACY_CATALOGUE } from "../../../adapters/conformance/catalogue/legacy.ts";
import { runNormalised, type ScenarioTarget } from "../../../adapters/conformance/run-legacy-scenario.ts";
import { findQemuBinary, startQemuPair } from "../../../adapters/qemu-pair.ts";
import { startModelPair } from "../../../src/model/index.ts";
import { CATALOGUE, modelBackend, qemuBackend, runScenario } from "./catalogue.ts";

function skipReason(): string | undefined {
  if (findQemuBinary()) return undefined;
  if (process.env.REQUIRE_QEMU === "1") throw new Error("REQUIRE_QEMU=1 but no qemu-system-x86_64 found");
  return "SKIPPED: no qemu-system-x86_64 (set QEMU=PATH): the model was NOT compared with real QEMU";
}
const skip = skipReason();
if (skip) console.warn(skip);

const TIMEOUT = 60_000;

describe.skipIf(skip !== undefined)("model vs QEMU 7.2: this directory's catalogue", () => {
  for (const scenario of CATALOGUE.filter((s) => !s.modelOnly))
    it(
      scenario.name,
      async () => {
        const real = await runScenario(scenario, qemuBackend);
        const model = await runScenario(scenario, modelBackend);
        expect(real.source.length).toBeGreaterThan(2);
        expect(model).toEqual(real);
      },
      TIMEOUT,
    );
});

const FILL_MIB = 48;

async function qemuTarget(): Promise<ScenarioTarget & { stop(): Promise<void> }> {
  const pair = await startQemuPair({ fillMiB: FILL_MIB, memoryMiB: 64 });
  return {
    source: pair.source.qmp,
    destination: pair.destination.qmp,
    migrationUri: pair.migrationUri,
    killDestination: () => pair.destination.kill(),
    stop: () => pair.stop(),
  };
}

async function modelTarget(): Promise<ScenarioTarget & { stop(): Promise<void> }> {
  const pair = await startModelPair({ fillMiB: FILL_MIB, ramMiB: 64 });
  return {
    source: pair.source.qmpAddress,
    destination: pair.destination.qmpAddress,
    migrationUri: pair.migrationUri,
    killDestination: async () => pair.destination.crash(),
    stop: () => pair.stop(),
  };
}

describe.skipIf(skip !== undefined)("model vs QEMU 7.2: the legacy catalogue (test/scenarios)", () => {
  for (const scenario of LEGACY_CATALOGUE)
    it(
      scenario.name,
      async () => {
        const traces = [];
        for (const start of [qemuTarget, modelTarget]) {
          const target = await start();
          try {
            traces.push(await runNormalised(scenario, target));
          } finally {
            await target.stop();
          }
        }
        expect(traces[1]).toEqual(traces[0]);
      },
      TIMEOUT,
    );
});
