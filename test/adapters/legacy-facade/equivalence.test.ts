/**
 * The legacy equivalence catalogue on real QEMU 7.2: every scenario runs once against QEMU
 * itself and once through legacy∘jobs∘QEMU (a legacy-facade proxy over a job-facade proxy over
 * QEMU), and the two normalised traces must be equal — replies, errors, events in order and
 * query-migrate snapshots (see adapters/conformance/trace-normalise.ts for what is normalised).
 * Scenarios run one after another; each starts and stops its own QEMU pair.
 */
import { afterEach, describe, expect, it } from "vitest";
import { LEGACY_CATALOGUE } from "../../../adapters/conformance/catalogue/legacy.ts";
import { runNormalised } from "../../../adapters/conformance/run-legacy-scenario.ts";
import { migrationSkipReason } from "../../helpers/migration-pair.ts";
import { type RunningTarget, startChain, startDirect } from "./legacy-chain.ts";

const skipReason = migrationSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason} ***\n`);

let running: RunningTarget | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function traceOn(start: () => Promise<RunningTarget>, scenario: (typeof LEGACY_CATALOGUE)[number]) {
  running = await start();
  try {
    return await runNormalised(scenario, running);
  } finally {
    await running.stop();
    running = undefined;
  }
}

describe.skipIf(skipReason !== undefined)(
  "legacy catalogue: legacy∘jobs∘QEMU equals QEMU 7.2",
  { timeout: 90_000 },
  () => {
    for (const scenario of LEGACY_CATALOGUE) {
      it(`${scenario.name}: ${scenario.doc}`, async () => {
        const direct = await traceOn(startDirect, scenario);
        const chained = await traceOn(startChain, scenario);
        // The scenario really happened: QEMU's own trace shows what the catalogue says.
        expect(direct.source.length).toBeGreaterThan(0);
        expect(chained).toEqual(direct);
      });
    }
  },
);
