/** What the numbers were measured on, including how busy the shared machine was. */
import { spawnSync } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";

export interface MachineInfo {
  cpus: number;
  cpu: string;
  memory_gb: number;
  node: string;
  /** 1, 5 and 15 minute load averages when the run started and when it ended. */
  load_average_start: number[];
  load_average_end?: number[];
}

export function machineInfo(): MachineInfo {
  return {
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    memory_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    load_average_start: loadAverage(),
  };
}

export const loadAverage = (): number[] => loadavg().map((l) => Math.round(l * 100) / 100);

/** "7.2.x" from `qemu-system-x86_64 --version`, or undefined without QEMU. */
export function qemuVersion(binary: string | undefined): string | undefined {
  if (!binary) return undefined;
  const run = spawnSync(binary, ["--version"], { encoding: "utf8" });
  return /version (\d+\.\d+\.\d+)/.exec(run.stdout)?.[1];
}
