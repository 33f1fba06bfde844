/**
 * A QEMU for the QMP benchmark: no machine (no guest CPU burning the cores we measure on), one
 * unix-socket QMP monitor per client so the clients never share a chardev. Always killed: by
 * `stop()`, and on process exit as a backstop.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface BenchQemu {
  sockets: string[];
  stop(): Promise<void>;
}

export function findQemuBinary(): string | undefined {
  const candidate = process.env.QEMU ?? "/usr/bin/qemu-system-x86_64";
  return existsSync(candidate) ? candidate : undefined;
}

/** QEMU 10.0 where scripts/install-qemu-10.0.sh puts it (`$QEMU_10_0`, `$JOBSHIM_QEMU_PREFIX`). */
export function findQemu10Binary(): string | undefined {
  const prefix = process.env.JOBSHIM_QEMU_PREFIX ?? "/opt/jobshim/qemu-10.0";
  const candidate = process.env.QEMU_10_0 ?? join(prefix, "bin", "qemu-system-x86_64");
  return existsSync(candidate) ? candidate : undefined;
}

/** Every QEMU version the benchmarks run against here, oldest first. */
export function findQemuBinaries(): { label: string; binary: string }[] {
  const found = [
    { label: "7.2", binary: findQemuBinary() },
    { label: "10.0", binary: findQemu10Binary() },
  ];
  return found.filter((f): f is { label: string; binary: string } => f.binary !== undefined);
}

function accepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function waitReady(child: ChildProcess, sockets: string[]): Promise<void> {
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
    if (child.exitCode !== null) throw new Error(`QEMU exited early with status ${child.exitCode}`);
    if ((await Promise.all(sockets.map(accepts))).every(Boolean)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("QEMU did not open its QMP sockets within 15 s");
}

/** `machine` replaces the default "no machine" (the event benchmark needs a VM to migrate). */
export async function startBenchQemu(
  binary: string,
  monitors: number,
  machine: readonly string[] = ["-machine", "none"],
): Promise<BenchQemu> {
  const dir = mkdtempSync(join(tmpdir(), "jobshim-bench-"));
  const sockets = Array.from({ length: monitors }, (_, i) => join(dir, `qmp${i}.sock`));
  const monitorArgs = sockets.flatMap((path, i) => [
    ...["-chardev", `socket,id=mon${i},path=${path},server=on,wait=off`],
    ...["-mon", `chardev=mon${i},mode=control`],
  ]);
  const child = spawn(binary, ["-nodefaults", "-display", "none", ...machine, ...monitorArgs], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.once("exit", kill);
  const stop = async () => {
    kill();
    await exited;
    process.off("exit", kill);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(child, sockets);
  } catch (error) {
    await stop();
    throw error;
  }
  return { sockets, stop };
}
