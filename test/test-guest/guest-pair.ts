/**
 * Test-only: builds the dirtying test guest (test-guest/) into a temp dir, and starts QEMUs
 * booting it: a source dirtying `rate` pages/s over `mib` MiB, and a destination waiting with
 * `-incoming defer`. Serial output goes to files the tests read. `stop()` kills every QEMU and
 * removes every file, also after a failure.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { projectRoot } from "../helpers/paths.ts";
import { findQemu } from "../helpers/qemu-process.ts";

/** Why the guest tests cannot run here, or undefined; with REQUIRE_QEMU=1 a reason is a failure. */
export function guestSkipReason(): string | undefined {
  const missing = !findQemu() ? "qemu-system-x86_64" : ["make", "gcc", "ld"].find((tool) => !onPath(tool));
  if (missing === undefined) return undefined;
  if (process.env.REQUIRE_QEMU === "1")
    throw new Error(`REQUIRE_QEMU=1 but ${missing} is missing (the test guest needs make, gcc, binutils)`);
  return `SKIPPED: ${missing} not found; the test-guest tests did not run`;
}

const onPath = (tool: string) =>
  (process.env.PATH ?? "").split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, tool)));

/** Runs `make -C test-guest` into `dir`; returns the kernel's path. */
export function buildGuest(dir: string): string {
  execFileSync("make", ["-s", "-C", path.join(projectRoot, "test-guest"), `OUT=${dir}`], { stdio: "pipe" });
  return path.join(dir, "guest.elf");
}

export interface GuestVm {
  qmp: string;
  serial(): string;
  process: ChildProcess;
}

export interface GuestPair {
  dir: string;
  source: GuestVm;
  destination: GuestVm;
  stop(): Promise<void>;
}

export function startGuest(
  kernel: string,
  dir: string,
  name: string,
  append: string,
  extra: string[] = [],
): GuestVm {
  const qmp = path.join(dir, `${name}.qmp`);
  const serial = path.join(dir, `${name}.serial`);
  const child = spawn(
    findQemu() as string,
    [
      ...["-nodefaults", "-display", "none", "-machine", "pc,accel=tcg", "-m", "64"],
      ...["-kernel", kernel, "-append", append, "-serial", `file:${serial}`],
      ...["-qmp", `unix:${qmp},server=on,wait=off`, ...extra],
    ],
    { stdio: "ignore" },
  );
  return {
    qmp: `unix:${qmp}`,
    process: child,
    serial: () => (existsSync(serial) ? readFileSync(serial, "utf8") : ""),
  };
}

/** Source and destination booting the guest; resolves once both monitors are up and the source has run `warmMs`. */
export async function startGuestPair(rate: number, mib: number, warmMs = 2000): Promise<GuestPair> {
  const dir = mkdtempSync(path.join(tmpdir(), "jobshim-guest-"));
  const vms: GuestVm[] = [];
  const stop = async () => {
    await Promise.all(vms.map((vm) => kill(vm.process)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const kernel = buildGuest(dir);
    const append = `rate=${rate} mib=${mib}`;
    const source = startGuest(kernel, dir, "source", append);
    vms.push(source);
    const destination = startGuest(kernel, dir, "destination", append, ["-incoming", "defer"]);
    vms.push(destination);
    await waitFor(() => source.serial().includes("alive 1") && existsSync(destination.qmp.slice(5)), 15_000);
    await new Promise((resolve) => setTimeout(resolve, warmMs));
    return { dir, source, destination, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

export async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
