/**
 * Test-only: two libvirt daemons on this machine (source and destination, each in a mount
 * namespace of its own: libvirtd-instance.sh), the `<emulator>` wrappers that put jobshim proxies
 * between each QEMU's monitor and libvirt (emulator.py), transient guests, and `virsh` against
 * either daemon. `stop()` kills every QEMU, proxy and daemon this pair started and removes its
 * folder, also after a failure.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { projectRoot } from "../../helpers/paths.ts";

const here = path.join(projectRoot, "test/real-clients/libvirt");
const instanceScript = path.join(here, "libvirtd-instance.sh");
const QEMU = process.env.QEMU ?? "/usr/bin/qemu-system-x86_64";
const PYTHON = "/usr/bin/python3";

/** How each QEMU monitor reaches libvirt. */
export type Mode = "direct" | "jobs" | "legacy-over-jobs";
export const MODES: readonly Mode[] = ["direct", "jobs", "legacy-over-jobs"];

/** What the machine lacks for this test, or undefined. */
export function libvirtMissing(): string | undefined {
  const needed = ["/usr/sbin/libvirtd", "/usr/bin/virsh", "/usr/bin/unshare", PYTHON, QEMU];
  const missing = needed.filter((file) => !existsSync(file));
  if (missing.length === 0) return undefined;
  return `${missing.join(", ")} not found (apt-get install libvirt-daemon-system libvirt-clients qemu-system-x86 python3)`;
}

export interface VirshResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Daemon {
  dir: string;
  /** The URI virsh uses, and what `--p2p` gives the source daemon as destination. */
  uri: string;
  virsh(...args: string[]): Promise<VirshResult>;
  /** Starts `virsh ARGS` without waiting: for a migration to act on while it runs. */
  spawnVirsh(...args: string[]): RunningVirsh;
}

export interface RunningVirsh {
  child: ChildProcess;
  done: Promise<VirshResult>;
}

export interface LibvirtPair {
  dir: string;
  /** Where the wrappers create the proxies' second listeners: NAME.ROLE.jobs.sock. */
  runDir: string;
  source: Daemon;
  destination: Daemon;
  /** Domain XML of a 64 MiB guest whose RAM holds `fillMiB` of random bytes (slow to copy). */
  domainXml(name: string, mode: Mode): string;
  /** Processes (other than the two daemons) still running from this pair's folder. */
  strays(): string[];
  stop(): Promise<void>;
}

function runVirsh(uri: string, args: string[]): RunningVirsh {
  const child = spawn("virsh", ["-q", "-c", uri, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  const done = new Promise<VirshResult>((resolve) =>
    child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr })),
  );
  return { child, done };
}

function daemon(dir: string): Daemon {
  const uri = `qemu+unix:///system?socket=${dir}/sock/libvirt-sock`;
  return {
    dir,
    uri,
    virsh: (...args) => runVirsh(uri, args).done,
    spawnVirsh: (...args) => runVirsh(uri, args),
  };
}

function instance(command: "start" | "stop", dir: string, uuid = ""): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile("bash", [instanceScript, command, dir, uuid], { timeout: 60_000 }, (error, stdout, stderr) =>
      error
        ? reject(new Error(`libvirtd-instance.sh ${command} ${dir}: ${error.message}\n${stderr}`))
        : resolve(stdout),
    ),
  );
}

function writeWrappers(dir: string, runDir: string): void {
  const emulator = path.join(here, "emulator.py");
  const jobshim = path.join(projectRoot, "bin/jobshim.js");
  for (const mode of MODES) {
    const file = path.join(dir, `emulator-${mode}`);
    const argv = [PYTHON, emulator, mode, QEMU, process.execPath, jobshim, runDir];
    writeFileSync(file, `#!/bin/sh\nexec ${argv.map((a) => `'${a}'`).join(" ")} "$@"\n`);
    chmodSync(file, 0o755);
  }
}

/** Every process whose command line names `dir`, as "PID COMMAND". */
function processesNaming(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter(Boolean);
      if (argv.some((arg) => arg.includes(dir))) found.push(`${entry} ${argv.join(" ").slice(0, 200)}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

export async function startLibvirtPair(fillMiB = 24): Promise<LibvirtPair> {
  const dir = mkdtempSync(path.join(tmpdir(), "jobshim-libvirt-"));
  const runDir = path.join(dir, "run");
  const dirs = { source: path.join(dir, "source"), destination: path.join(dir, "destination") };
  for (const d of [runDir, dirs.source, dirs.destination]) mkdirSync(d);
  const fill = path.join(dir, "ram.bin");
  writeFileSync(fill, randomBytes(fillMiB * 1024 * 1024));
  writeWrappers(dir, runDir);
  // If the test process ends without stop() (a crash, process.exit), the daemons and their
  // QEMUs (started with setsid, so no signal of ours reaches them) go with it all the same.
  const stopOnExit = () => {
    for (const d of [dirs.source, dirs.destination])
      execFileSync("bash", [instanceScript, "stop", d], { stdio: "ignore", timeout: 20_000 });
  };
  process.once("exit", stopOnExit);
  const stop = async () => {
    process.off("exit", stopOnExit);
    await Promise.allSettled([instance("stop", dirs.source), instance("stop", dirs.destination)]);
    // The wrappers' supervisors and proxies die with their QEMU; give them a moment to go.
    for (let i = 0; i < 50 && processesNaming(dir).length > 0; i++) await sleep(100);
    for (const line of processesNaming(dir)) process.kill(Number(line.split(" ")[0]), "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Distinct host UUIDs: libvirt refuses to migrate to a host with its own UUID.
    await instance("start", dirs.source, "5f0c1e2a-0000-4000-8000-000000000001");
    await instance("start", dirs.destination, "5f0c1e2a-0000-4000-8000-000000000002");
  } catch (error) {
    await stop();
    throw error;
  }
  const daemonPids = () =>
    [dirs.source, dirs.destination].flatMap((d) => {
      const file = path.join(d, "libvirtd.pid");
      return existsSync(file) ? [readFileSync(file, "utf8").trim()] : [];
    });
  return {
    dir,
    runDir,
    source: daemon(dirs.source),
    destination: daemon(dirs.destination),
    domainXml: (name, mode) => domainXml(name, path.join(dir, `emulator-${mode}`), fill),
    strays: () => {
      const daemons = daemonPids();
      return processesNaming(dir).filter((line) => !daemons.includes(line.split(" ")[0] ?? ""));
    },
    stop,
  };
}

/** The issue's guest: TCG, 64 MiB, no disk, machine pc, no USB, no balloon; RAM filled by a loader. */
function domainXml(name: string, emulator: string, fill: string): string {
  return `<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>${name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>${emulator}</emulator>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-device'/>
    <qemu:arg value='loader,file=${fill},addr=0x1000000'/>
  </qemu:commandline>
</domain>
`;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
