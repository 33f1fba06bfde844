/**
 * Test-only: `jobshim proxy` as a child process, as a user runs it, so its memory can be read
 * from /proc and a crash shows as an exit. `stop()` always kills it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "./paths.ts";

export interface ProxyProcess {
  child: ChildProcess;
  socketPath: string;
  stderr(): string;
  /** Resident memory in bytes (Linux /proc). */
  rss(): number;
  stop(): Promise<void>;
}

export async function startProxyProcess(
  args: string[],
  socketPath: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProxyProcess> {
  const bin = path.join(projectRoot, "bin/jobshim.js");
  const child = spawn(process.execPath, [bin, "proxy", ...args, "--listen", `unix:${socketPath}`], {
    stdio: ["ignore", "ignore", "pipe"],
    env,
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  };
  const deadline = Date.now() + 20_000;
  while (!stderr.includes("listening on")) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`jobshim proxy did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    child,
    socketPath,
    stderr: () => stderr,
    rss: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
      return Number(kb) * 1024;
    },
    stop,
  };
}
