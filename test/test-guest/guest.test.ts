/**
 * The dirtying test guest, built from test-guest/ with make, gcc and binutils, booted in real
 * QEMU: it reads rate= and mib= from the command line and writes exactly `rate` pages per second
 * of guest time (the PIT's), which its serial port reports as "alive S pages P".
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildGuest, type GuestVm, guestSkipReason, kill, startGuest, waitFor } from "./guest-pair.ts";

const skipReason = guestSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason} ***\n`);

describe.skipIf(skipReason !== undefined)("test guest on real QEMU", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const boot = (append: string): GuestVm => {
    const dir = mkdtempSync(path.join(tmpdir(), "jobshim-guest-test-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const vm = startGuest(buildGuest(dir), dir, "guest", append);
    cleanups.push(() => kill(vm.process));
    return vm;
  };

  it("builds into a temp dir and writes `rate` pages per guest second over the working set", async () => {
    const vm = boot("rate=3000 mib=8");
    await waitFor(() => vm.serial().includes("alive 2 "), 20_000);
    const text = vm.serial();
    expect(text).toContain("jobshim test guest: magic 1 rate 3000 pages/s, working set 2048 pages");
    expect(text).toMatch(/alive 1 pages 3000\n/);
    expect(text).toMatch(/alive 2 pages 6000\n/);
  });

  it("idles at rate 0, and keeps the working set inside guest RAM", async () => {
    const vm = boot("mib=500");
    await waitFor(() => vm.serial().includes("alive 1 "), 20_000);
    // -m 64: the set starts at 4 MiB, so at most 60 MiB = 15360 pages.
    // (QEMU's multiboot memory map keeps the top 128 KiB back: 15328 pages on QEMU 7.2.)
    const pages = Number(/rate 0 pages\/s, working set (\d+) pages/.exec(vm.serial())?.[1]);
    expect(pages).toBeLessThanOrEqual(15360);
    expect(pages).toBeGreaterThan(15000);
    expect(vm.serial()).toMatch(/alive 1 pages 0\n/);
  });
});
