/**
 * Real QEMU 7.2: the destination QEMU is killed mid-migration. The source's job concludes with
 * QEMU's own error text, a call pending in the destination fails with the connection error, the
 * destination proxy's clients are disconnected, and the source proxy keeps answering: nothing
 * hangs.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { JsonObject } from "../../../src/qmp/json-value.ts";
import { QmpError } from "../../../src/qmp/qmp-error.ts";
import {
  type MigrationHarness,
  migrationSkipReason,
  startMigrationHarness,
  waitUntil,
} from "../../helpers/migration-pair.ts";
import { sleep } from "./fault-kit.ts";

const skipReason = migrationSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason} ***\n`);

let harness: MigrationHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

describe.skipIf(skipReason !== undefined)("destination QEMU killed mid-migration", () => {
  it("the source job concludes with QEMU's error and every call is answered", async () => {
    harness = await startMigrationHarness(48);
    const h = harness;
    await h.destination.execute("job-migrate-incoming", { "job-id": "in", uri: h.pair.migrationUri });
    await h.source.execute("job-migrate", {
      "job-id": "m0",
      uri: h.pair.migrationUri,
      "max-bandwidth": 24 * 1024 * 1024,
      "auto-dismiss": false,
    });
    await h.source.waitSubstatus("m0", "active");
    h.pair.destination.process.kill("SIGSTOP");
    const pending = h.destination.execute("query-status").catch((error: unknown) => error);
    await sleep(200);
    await h.pair.destination.kill();

    const failure = await pending;
    expect(failure).toBeInstanceOf(QmpError);
    expect((failure as QmpError).desc).toMatch(/closed while 'query-status' was pending/);
    await waitUntil(
      () => (h.destination.client.connected ? undefined : true),
      "destination client gone",
      10_000,
    );

    await h.source.waitStatus("m0", "concluded", 20_000);
    expect(h.source.statuses("m0").slice(-2)).toEqual(["aborting", "concluded"]);
    const [job] = await h.source.jobs();
    const migration = (await h.source.execute("query-migrate")) as JsonObject;
    expect(migration.status).toBe("failed");
    expect(typeof migration["error-desc"]).toBe("string");
    expect(job).toMatchObject({ id: "m0", status: "concluded", substatus: "failed" });
    expect(job?.error).toBe(migration["error-desc"]);
    // The source proxy still serves its clients.
    expect(((await h.source.execute("query-status")) as JsonObject).status).toBe("running");
  }, 60_000);
});
