/**
 * Issue 16 on each installed QEMU (7.2 and 10.0): the legacy facade answers as the QEMU behind it
 * (decision 0001, 15). Each scenario runs against QEMU itself and through legacy∘jobs∘QEMU; the
 * normalised traces must be equal, and QEMU's own trace must show the version's behaviour, so
 * that equality cannot come from both sides failing alike.
 */
import { describe, expect, it } from "vitest";
import { LEGACY_CATALOGUE, type LegacyScenario } from "../../../adapters/conformance/catalogue/legacy.ts";
import { runLegacyScenario } from "../../../adapters/conformance/run-legacy-scenario.ts";
import { startLegacyChain, startLegacyDirect } from "../../../adapters/conformance/targets.ts";
import { normaliseTrace } from "../../../adapters/conformance/trace-normalise.ts";
import type { TraceEntry } from "../../../adapters/conformance/trace-recorder.ts";
import { knownQemuVersions, qemuBinary } from "../../helpers/qemu-binaries.ts";

const FILL_MIB = 48;
const scenario = (name: string) => LEGACY_CATALOGUE.find((s) => s.name === name) as LegacyScenario;

async function traces(binary: string, chosen: LegacyScenario) {
  const run = async (start: typeof startLegacyDirect) => {
    const running = await start({ binary, native: false }, FILL_MIB, chosen);
    try {
      return await runLegacyScenario(chosen, running.target);
    } finally {
      await running.stop();
    }
  };
  const direct = await run(startLegacyDirect);
  const chained = await run(startLegacyChain);
  expect(normaliseTrace(chained, chosen)).toEqual(normaliseTrace(direct, chosen));
  return direct.source;
}

const text = (entries: TraceEntry[]) => JSON.stringify(entries);
const statuses = (entries: TraceEntry[]) =>
  entries.flatMap((e) => (e.kind === "event" && e.event === "MIGRATION" ? [String(e.data?.status)] : []));

for (const version of knownQemuVersions) {
  const found = qemuBinary(version);
  describe.skipIf(found === undefined)(
    `legacy∘jobs∘QEMU ${version} answers as QEMU ${version}`,
    { timeout: 120_000 },
    () => {
      const binary = found?.binary as string;
      it("pause-before-switchover with postcopy: held, continued into postcopy, completed", async () => {
        const source = await traces(binary, scenario("postcopy-pause-before-switchover"));
        const seen = statuses(source);
        expect(seen.indexOf("pre-switchover")).toBeGreaterThan(seen.indexOf("active"));
        expect(seen.indexOf("postcopy-active")).toBeGreaterThan(seen.indexOf("pre-switchover"));
        expect(seen.at(-1)).toBe("completed");
      });

      it("migrate_cancel in postcopy: 7.2 cancels, 10.0 refuses", async () => {
        const source = await traces(binary, scenario("cancel-in-postcopy"));
        if (version === "7.2") expect(statuses(source)).toContain("cancelled");
        else expect(text(source)).toContain("Postcopy migration in progress, cannot cancel.");
      });

      it("migrate with blk: 7.2 copies the disk, 10.0 refuses the argument", async () => {
        const source = await traces(binary, scenario("block-migration"));
        if (version === "7.2") {
          expect(statuses(source)).toContain("completed");
          // While it copies, 7.2's query-migrate reports the disk being sent.
          const copying = source.find((e) => e.kind === "snapshot" && e.label === "copying");
          expect(copying?.kind === "snapshot" && JSON.stringify(copying.info)).toMatch(
            /"disk":\{[^}]*"total":16777216/,
          );
        } else expect(text(source)).toContain("Parameter 'blk' is unexpected");
      });
    },
  );
}
