/**
 * The model's timing knobs and counters, on a manual clock so every run is the same: RAM size,
 * fill, dirty rate, max-bandwidth (also changed mid-flight) and downtime-limit decide when a
 * migration converges and what query-migrate reports. Model time is asserted, never wall time.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock, MigrationLinks, QemuModel, type QemuModelOptions } from "../../../src/model/index.ts";
import { QmpClient } from "../../../src/qmp/client.ts";
import type { JsonObject } from "../../../src/qmp/json-value.ts";
import type { QmpEvent } from "../../../src/qmp/protocol.ts";

const MIB = 1024 * 1024;
const URI = "unix:/nonexistent/model-test-migration.sock";

interface Rig {
  clock: ManualClock;
  source: QemuModel;
  destination: QemuModel;
  src: QmpClient;
  dst: QmpClient;
  events: string[];
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) {
    await rig.src.close();
    await rig.dst.close();
    await rig.source.close();
    await rig.destination.close();
  }
});

async function rig(options: QemuModelOptions = {}, events = true): Promise<Rig> {
  const clock = new ManualClock();
  const links = new MigrationLinks();
  const source = await QemuModel.start({ ramMiB: 128, fillMiB: 64, ...options, clock, links });
  const destination = await QemuModel.start({ ...options, role: "destination", clock, links });
  const src = await QmpClient.connect(source.qmpAddress);
  const dst = await QmpClient.connect(destination.qmpAddress);
  const recorded: string[] = [];
  void (async () => {
    for await (const e of src.eventsOf() as AsyncIterable<QmpEvent>)
      recorded.push(
        e.data?.status ? `${e.event} ${e.data.status}` : e.data?.pass ? `PASS ${e.data.pass}` : e.event,
      );
  })();
  const r = { clock, source, destination, src, dst, events: recorded };
  rigs.push(r);
  if (events)
    await src.execute("migrate-set-capabilities", { capabilities: [{ capability: "events", state: true }] });
  await dst.execute("migrate-incoming", { uri: URI });
  return r;
}

const info = async (client: QmpClient) => (await client.execute("query-migrate")) as JsonObject;
const ram = (i: JsonObject) => i.ram as JsonObject;

/** Advances model time in steps until the source's status is one of `ends`; returns model ms taken. */
async function runUntil(r: Rig, ends: string[], limitMs: number, stepMs = 100): Promise<number> {
  const start = r.clock.now();
  while (r.clock.now() - start < limitMs) {
    r.clock.advance(stepMs);
    const status = (await info(r.src)).status;
    if (typeof status === "string" && ends.includes(status)) return r.clock.now() - start;
  }
  return Number.POSITIVE_INFINITY;
}

describe("model timing knobs (manual clock)", () => {
  it("an idle guest's fill at max-bandwidth sets the duration; counters add up", async () => {
    const r = await rig();
    await r.src.execute("migrate-set-parameters", { "max-bandwidth": 32 * MIB });
    await r.src.execute("migrate", { uri: URI });
    let last = 0;
    const start = r.clock.now();
    for (;;) {
      r.clock.advance(100);
      const i = await info(r.src);
      const sent = ram(i).transferred as number;
      expect(sent).toBeGreaterThanOrEqual(last);
      last = sent;
      if (i.status === "completed") break;
      expect(r.clock.now() - start).toBeLessThan(10_000);
    }
    const done = await info(r.src);
    // 64 MiB of data at 32 MiB/s is 2 s; zero pages and the final pass add a little.
    expect(done["total-time"]).toBeGreaterThanOrEqual(2000);
    expect(done["total-time"]).toBeLessThan(2300);
    expect(ram(done).total).toBe(128 * MIB);
    expect(ram(done).remaining).toBe(0);
    expect(ram(done).transferred).toBeGreaterThan(64 * MIB);
    expect(ram(done).normal).toBe((64 * MIB) / 4096);
    expect(done.downtime).toBeLessThanOrEqual(300);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.events).toEqual([
      "MIGRATION setup",
      "PASS 1",
      "MIGRATION active",
      "PASS 2",
      "STOP",
      "PASS 3",
      "MIGRATION completed",
    ]);
    expect(((await r.dst.execute("query-status")) as JsonObject).status).toBe("running");
  });

  it("raising max-bandwidth mid-flight applies at once", async () => {
    const slow = await rig();
    await slow.src.execute("migrate-set-parameters", { "max-bandwidth": 16 * MIB });
    await slow.src.execute("migrate", { uri: URI });
    const slowMs = await runUntil(slow, ["completed"], 20_000);
    const fast = await rig();
    await fast.src.execute("migrate-set-parameters", { "max-bandwidth": 16 * MIB });
    await fast.src.execute("migrate", { uri: URI });
    fast.clock.advance(1000);
    await fast.src.execute("migrate-set-parameters", { "max-bandwidth": 64 * MIB });
    const fastMs = 1000 + (await runUntil(fast, ["completed"], 20_000));
    expect(slowMs).toBeGreaterThan(4000);
    expect(fastMs).toBeLessThan(slowMs * 0.6);
  });

  it("a guest dirtying faster than the link never converges until downtime-limit allows it", async () => {
    const r = await rig({ dirtyBytesPerSecond: 40 * MIB, fillMiB: 16, ramMiB: 64 });
    await r.src.execute("migrate-set-parameters", { "max-bandwidth": 32 * MIB });
    await r.src.execute("migrate", { uri: URI });
    expect(await runUntil(r, ["completed"], 15_000)).toBe(Number.POSITIVE_INFINITY);
    const stuck = await info(r.src);
    expect(stuck.status).toBe("active");
    expect(ram(stuck)["dirty-sync-count"]).toBeGreaterThan(5);
    expect(ram(stuck)["dirty-pages-rate"]).toBe((40 * MIB) / 4096);
    await r.src.execute("migrate-set-parameters", { "downtime-limit": 5000 });
    expect(await runUntil(r, ["completed"], 10_000)).toBeLessThan(10_000);
  });

  it("with the events capability off there is no MIGRATION nor MIGRATION_PASS, STOP still comes", async () => {
    const r = await rig({}, false);
    await r.src.execute("migrate", { uri: URI });
    await runUntil(r, ["completed"], 20_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.events).toEqual(["STOP"]);
  });

  it("refuses out-of-range downtime-limit with QEMU's text", async () => {
    const r = await rig();
    await expect(r.src.execute("migrate-set-parameters", { "downtime-limit": 2_000_001 })).rejects.toThrow(
      "Parameter 'downtime_limit' expects an integer in the range of 0 to (2000 * 1000) ms",
    );
  });
});

describe("model faults on demand (model only: real QEMU cannot be made to do these)", () => {
  it("a migration to a URI nobody listens on fails with QEMU's connect error", async () => {
    const r = await rig();
    await r.src.execute("migrate", { uri: "unix:/nonexistent/nobody.sock" });
    expect((await info(r.src)).status).toBe("setup");
    r.clock.advance(10);
    expect(await info(r.src)).toEqual({
      status: "failed",
      "error-desc": "Failed to connect to '/nonexistent/nobody.sock': No such file or directory",
    });
  });

  it("migrate-pause in postcopy pauses both sides; migrate-recover and resume finish it", async () => {
    const r = await rig();
    await r.src.execute("migrate-set-capabilities", {
      capabilities: [{ capability: "postcopy-ram", state: true }],
    });
    await r.src.execute("migrate-set-parameters", {
      "max-bandwidth": 8 * MIB,
      "max-postcopy-bandwidth": 8 * MIB,
    });
    await r.src.execute("migrate", { uri: URI });
    r.clock.advance(200);
    await expect(r.src.execute("migrate", { uri: URI, resume: true })).rejects.toThrow(
      "Cannot resume if there is no paused migration",
    );
    await r.src.execute("migrate-start-postcopy");
    r.clock.advance(100);
    expect((await info(r.src)).status).toBe("postcopy-active");
    await r.src.execute("migrate-pause");
    expect((await info(r.src)).status).toBe("postcopy-paused");
    expect((await info(r.dst)).status).toBe("postcopy-paused");
    await expect(r.dst.execute("migrate-recover", { uri: "bogus:/x" })).rejects.toThrow(
      "unknown migration protocol: bogus:/x",
    );
    await r.dst.execute("migrate-recover", { uri: URI });
    // QEMU 7.2 has no "recovery triggered already" refusal: a second one listens again.
    await r.dst.execute("migrate-recover", { uri: URI });
    await r.src.execute("migrate", { uri: URI, resume: true });
    expect((await info(r.src)).status).toBe("postcopy-recover");
    expect(await runUntil(r, ["completed"], 20_000)).toBeLessThan(20_000);
    expect((await info(r.dst)).status).toBe("completed");
  });

  it("a crashed destination fails a precopy; its monitor goes away", async () => {
    const r = await rig();
    await r.src.execute("migrate-set-parameters", { "max-bandwidth": 8 * MIB });
    await r.src.execute("migrate", { uri: URI });
    r.clock.advance(200);
    r.destination.crash();
    expect(await info(r.src)).toEqual({
      status: "failed",
      "error-desc": "Unable to write to socket: Broken pipe",
    });
    expect(((await r.src.execute("query-status")) as JsonObject).status).toBe("running");
    await expect(r.dst.execute("query-status")).rejects.toThrow();
  });
});
