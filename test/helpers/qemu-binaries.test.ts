/**
 * Each QEMU version this machine has really starts (the same machine the real-QEMU tests use)
 * and reports the version it is listed as, so a test run "on 10.0" never silently runs 7.2.
 */
import { afterEach, describe, expect, it } from "vitest";
import { knownQemuVersions, qemuBinary } from "./qemu-binaries.ts";
import { type QemuInstance, startQemu } from "./qemu-process.ts";

describe("the QEMU binaries on this machine", () => {
  let running: QemuInstance | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  for (const version of knownQemuVersions) {
    const found = qemuBinary(version);
    it.skipIf(found === undefined)(
      `QEMU ${version} starts and reports ${version} in query-version`,
      async () => {
        const qemu = found as NonNullable<typeof found>;
        running = await startQemu({ binary: qemu.binary });
        const reported = (await running.qmp.execute("query-version")) as {
          qemu: { major: number; minor: number; micro: number };
        };
        expect({ major: reported.qemu.major, minor: reported.qemu.minor }).toEqual({
          major: qemu.major,
          minor: qemu.minor,
        });
        await running.stop();
        expect(running.process.exitCode ?? running.process.signalCode).not.toBeNull();
      },
      30_000,
    );
  }
});
