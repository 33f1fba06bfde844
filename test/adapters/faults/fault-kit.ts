/**
 * Test-only helpers for the fault tests: a lone QEMU on a chosen QMP socket (to bring a killed
 * QEMU's socket back), and the event/wait helpers they share.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { findQemuBinary } from "../../../adapters/qemu-pair.ts";

export interface LoneQemu {
  readonly process: ChildProcess;
  kill(): Promise<void>;
}

/** A small idle QEMU whose QMP monitor listens on `socketPath` (as the pair's QEMUs do). */
export async function startLoneQemu(socketPath: string): Promise<LoneQemu> {
  const binary = findQemuBinary();
  if (!binary) throw new Error("no qemu-system-x86_64");
  rmSync(socketPath, { force: true });
  const child = spawn(
    binary,
    [
      ...["-nodefaults", "-display", "none", "-machine", "pc,accel=tcg", "-m", "32"],
      ...["-qmp", `unix:${socketPath},server=on,wait=off`],
    ],
    { stdio: ["ignore", "ignore", "ignore"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  };
  const deadline = Date.now() + 15_000;
  while (!(existsSync(socketPath) && (await canConnect(socketPath)))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await kill();
      throw new Error("lone QEMU did not open its monitor");
    }
    await sleep(50);
  }
  return { process: child, kill };
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

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
