/**
 * Two local QEMU processes ready to migrate: a source whose RAM is filled with random bytes (so
 * a migration lasts seconds and cannot be shortcut by zero-page detection) and a destination
 * started with `-incoming defer`. Used by `jobshim demo` and the real-QEMU tests. Every process
 * is killed and every file removed by `stop`, which is safe to call at any time, more than once.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export const QEMU_BINARY = "qemu-system-x86_64";

/** `$QEMU`, else the first qemu-system-x86_64 on PATH; undefined when there is none. */
export function findQemuBinary(): string | undefined {
  if (process.env.QEMU) return existsSync(process.env.QEMU) ? process.env.QEMU : undefined;
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, QEMU_BINARY);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export interface QemuVm {
  readonly role: "source" | "destination";
  /** The QMP monitor, as `unix:PATH`. */
  readonly qmp: string;
  /** A second QMP monitor (`secondMonitor`), as `unix:PATH`: another client's way in. */
  readonly otherQmp?: string;
  readonly process: ChildProcess;
  readonly exited: Promise<void>;
  stderr(): string;
  kill(): Promise<void>;
}

export interface QemuPair {
  readonly source: QemuVm;
  readonly destination: QemuVm;
  /** Where the destination listens for the migration stream. */
  readonly migrationUri: string;
  readonly dir: string;
  stop(): Promise<void>;
}

export interface QemuPairOptions {
  binary?: string;
  /** Guest RAM in MiB; default 128. */
  memoryMiB?: number;
  /** Random bytes loaded into the source's RAM, in MiB; default 64. */
  fillMiB?: number;
  /**
   * The destination's `-incoming` argument; default `defer`. A URI makes it listen from the
   * start, and `migrationUri` is then that URI (for `tcp:HOST:0`, read the port from its
   * query-migrate's `socket-address`).
   */
  incoming?: string;
  /**
   * The destination listens on the pair's own `migrationUri` from the start (`-incoming URI`
   * instead of `-incoming defer`): a migration nobody asked the monitor for.
   */
  listenAtStart?: boolean;
  /** Give both QEMUs a second QMP monitor (`otherQmp`). */
  secondMonitor?: boolean;
}

const machineArgs = (memoryMiB: number) => [
  ...["-nodefaults", "-display", "none", "-machine", "pc,accel=tcg", "-m", String(memoryMiB)],
];

export async function startQemuPair(options: QemuPairOptions = {}): Promise<QemuPair> {
  const binary = options.binary ?? findQemuBinary();
  if (!binary) throw new Error(`${QEMU_BINARY} not found (set QEMU=PATH)`);
  const dir = mkdtempSync(path.join(tmpdir(), "jobshim-pair-"));
  const vms: QemuVm[] = [];
  pairDirs.add(dir);
  const stop = async () => {
    await Promise.all(vms.map((vm) => vm.kill()));
    rmSync(dir, { recursive: true, force: true });
    pairDirs.delete(dir);
  };
  try {
    const fill = path.join(dir, "ram.bin");
    writeFileSync(fill, randomBytes((options.fillMiB ?? 64) * 1024 * 1024));
    const common = [
      ...machineArgs(options.memoryMiB ?? 128),
      "-device",
      `loader,file=${fill},addr=0x1000000`,
    ];
    const second = options.secondMonitor === true;
    const source = spawnVm(binary, "source", dir, common, second);
    vms.push(source);
    const ownUri = `unix:${path.join(dir, "migration.sock")}`;
    const incoming = options.listenAtStart ? ownUri : (options.incoming ?? "defer");
    const destination = spawnVm(binary, "destination", dir, [...common, "-incoming", incoming], second);
    vms.push(destination);
    await Promise.all(vms.map((vm) => waitForSocket(vm)));
    const migrationUri = incoming === "defer" ? ownUri : incoming;
    return { source, destination, migrationUri, dir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * QEMUs still running and the directories of pairs not stopped. If this process exits without
 * `stop` (an uncaught error, process.exit), they are killed and removed on the way out: a QEMU
 * must never outlive the process that started it, nor its sockets and RAM image.
 */
const running = new Set<ChildProcess>();
const pairDirs = new Set<string>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
  for (const dir of pairDirs) rmSync(dir, { recursive: true, force: true });
});

function spawnVm(binary: string, role: QemuVm["role"], dir: string, args: string[], second = false): QemuVm {
  const socket = path.join(dir, `${role}.qmp`);
  const other = path.join(dir, `${role}-other.qmp`);
  const monitors = ["-qmp", `unix:${socket},server=on,wait=off`];
  if (second) monitors.push("-qmp", `unix:${other},server=on,wait=off`);
  const child = spawn(binary, [...args, ...monitors], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  running.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  }).finally(() => running.delete(child));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      child.kill("SIGKILL");
      await exited;
    }
  };
  const vm = { role, qmp: `unix:${socket}`, process: child, exited, stderr: () => stderr, kill };
  return second ? { ...vm, otherQmp: `unix:${other}` } : vm;
}

async function waitForSocket(vm: QemuVm, timeoutMs = 15_000): Promise<void> {
  const socketPath = vm.qmp.slice("unix:".length);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (vm.process.exitCode !== null || vm.process.signalCode !== null)
      throw new Error(`QEMU ${vm.role} exited before its monitor was up: ${vm.stderr().trim()}`);
    if (existsSync(socketPath) && (await canConnect(socketPath))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`QEMU ${vm.role} did not open its monitor within ${timeoutMs} ms`);
}

function canConnect(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
