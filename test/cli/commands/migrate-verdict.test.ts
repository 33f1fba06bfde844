/**
 * `jobshim migrate`'s progress line on the embedded model: the last line's last word is the
 * outcome ("completed"), never a forecast such as "converging" left over from the copy.
 */
import { afterEach, describe, expect, it } from "vitest";
import { runMigrate } from "../../../cli/commands/migrate-run.ts";
import { type ModelPair, startModelPair } from "../../../src/model/index.ts";

let pair: ModelPair | undefined;
afterEach(async () => {
  await pair?.stop();
  pair = undefined;
});

describe("jobshim migrate's verdict", { timeout: 60_000 }, () => {
  it("ends with the outcome as the progress line's last word", async () => {
    pair = await startModelPair({ fillMiB: 16 });
    let output = "";
    const result = await runMigrate({
      source: pair.source.qmpAddress,
      dest: pair.destination.qmpAddress,
      uri: pair.migrationUri,
      postcopy: false,
      maxBandwidth: 64 * 1024 * 1024,
      downtimeLimitMs: undefined,
      json: false,
      interactive: false,
      write: (text) => {
        output += text;
      },
      signal: new AbortController().signal,
      pollMs: 100,
    });
    expect(result.outcome).toBe("completed");
    const progress = output.split("\n").filter((line) => line.includes("] "));
    expect(progress.at(-1)).toMatch(/^concluded\/completed .* 100% .*ETA done {2}completed$/);
  });
});
