/**
 * Issue 16, part 3 (decision 0008) on real QEMU 7.2 and 10.0: a QEMU started with `wait=on` runs
 * once its first monitor client connects, and that client sees every event from the start. The
 * test guest panics at once on the pvpanic port (QEMU: GUEST_PANICKED, then STOP), long before a
 * client reaches the outermost proxy. A client through jobs, and through legacy∘jobs, must still
 * receive the events a client connected directly receives (names and data, not timestamps).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createJobFacadeProxy, createLegacyFacadeProxy } from "../../adapters/proxy.ts";
import { QmpClient } from "../../src/qmp/client.ts";
import type { QmpEvent } from "../../src/qmp/protocol.ts";
import { type QemuBinary, qemuBinaries } from "../helpers/qemu-binaries.ts";
import { buildGuest, guestSkipReason, kill, waitFor } from "../test-guest/guest-pair.ts";

const skipReason = guestSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason} ***\n`);
const binaries = skipReason ? [] : qemuBinaries();

/** What the guest's panic makes QEMU emit (with `-action panic=pause`). */
const PANIC_EVENTS = ["GUEST_PANICKED", "STOP"];

interface PanickingVm {
  qmp: string;
  serial(): string;
  process: ChildProcess;
}

describe.skipIf(binaries.length === 0)("events from QEMU's start through the proxies (issue 16)", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  const workDir = (): string => {
    const dir = mkdtempSync(path.join(tmpdir(), "jobshim-early-events-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };

  /** QEMU waiting for its first monitor client, booting the guest that panics at once. */
  const startWaiting = async (qemu: QemuBinary, dir: string, name: string): Promise<PanickingVm> => {
    const qmp = path.join(dir, `${name}.qmp`);
    const serial = path.join(dir, `${name}.serial`);
    const child = spawn(
      qemu.binary,
      [
        ...["-nodefaults", "-display", "none", "-machine", "pc,accel=tcg", "-m", "128"],
        ...["-kernel", path.join(dir, "guest.elf"), "-append", "panic", "-serial", `file:${serial}`],
        ...["-device", "pvpanic", "-action", "panic=pause"],
        ...["-qmp", `unix:${qmp},server=on,wait=on`],
      ],
      { stdio: "ignore" },
    );
    cleanups.push(() => kill(child));
    await waitFor(() => existsSync(qmp), 15_000);
    return {
      qmp: `unix:${qmp}`,
      process: child,
      serial: () => (existsSync(serial) ? readFileSync(serial, "utf8") : ""),
    };
  };

  /** Connects a client and collects events until the panic's are in, plus a moment for stragglers. */
  const eventsSeenAt = async (
    address: string,
    waitMs = 10_000,
  ): Promise<{ event: string; data: unknown }[]> => {
    const seen: QmpEvent[] = [];
    const client = await QmpClient.connect(address, { onEvent: (event) => seen.push(event) });
    cleanups.push(() => client.close());
    await waitFor(() => PANIC_EVENTS.every((name) => seen.some((e) => e.event === name)), waitMs).catch(
      () => undefined,
    );
    await sleep(300);
    return seen.map((e) => ({ event: e.event, data: e.data }));
  };

  /** The guest has panicked, and its events had time to cross every proxy before the client. */
  const afterPanic = async (vm: PanickingVm): Promise<void> => {
    await waitFor(() => vm.serial().includes("panicking"), 20_000);
    await sleep(500);
  };

  for (const qemu of binaries) {
    it(`QEMU ${qemu.version}: a client through jobs and through legacy∘jobs sees what a direct client sees`, async () => {
      const dir = workDir();
      buildGuest(dir);

      const direct = await startWaiting(qemu, dir, "direct");
      const directEvents = await eventsSeenAt(direct.qmp);
      expect(directEvents.map((e) => e.event)).toEqual(PANIC_EVENTS);

      const behindJobs = await startWaiting(qemu, dir, "jobs-only");
      const jobsOnly = await createJobFacadeProxy({
        upstream: behindJobs.qmp,
        listen: [`unix:${path.join(dir, "jobs-only.sock")}`],
      });
      cleanups.push(() => jobsOnly.close());
      await afterPanic(behindJobs);
      expect(await eventsSeenAt(`unix:${path.join(dir, "jobs-only.sock")}`)).toEqual(directEvents);

      const behindStack = await startWaiting(qemu, dir, "stack");
      const jobs = await createJobFacadeProxy({
        upstream: behindStack.qmp,
        listen: [`unix:${path.join(dir, "jobs.sock")}`],
      });
      cleanups.push(() => jobs.close());
      const legacy = await createLegacyFacadeProxy({
        upstream: `unix:${path.join(dir, "jobs.sock")}`,
        listen: [`unix:${path.join(dir, "legacy.sock")}`],
      });
      cleanups.push(() => legacy.close());
      await afterPanic(behindStack);
      expect(await eventsSeenAt(`unix:${path.join(dir, "legacy.sock")}`)).toEqual(directEvents);

      // A second client, as on QEMU, sees nothing of what happened before it came.
      expect(await eventsSeenAt(`unix:${path.join(dir, "legacy.sock")}`, 500)).toEqual([]);
    }, 120_000);
  }
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
