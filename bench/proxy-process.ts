/**
 * `jobshim proxy --facade jobs` as its own process, the way a user runs it: the benchmark
 * talks to it over a unix socket and reads its memory from /proc. Always killed by `stop()`,
 * and on process exit as a backstop.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { proxyCode } from "./dist-build.ts";

export interface ProxyProcess {
  readonly child: ChildProcess;
  /** Unix socket path clients connect to. */
  readonly path: string;
  /** Resident set size now and its peak, in MiB, from /proc/PID/status. */
  memory(): { rssMb: number; peakMb: number };
  stop(): Promise<void>;
}

const BIN = join(import.meta.dirname, "..", "bin", "jobshim.js");

/** Which code each proxy process started so far ran (the sources may change during a run). */
const codesRun = new Set<string>();
export const proxyCodesRun = (): string[] => [...codesRun];

export async function startProxyProcess(upstreamPath: string, listenPath: string): Promise<ProxyProcess> {
  // JOBSHIM_PROXY_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the proxy (see README.md).
  const nodeArgs = (process.env.JOBSHIM_PROXY_NODE_ARGS ?? "").split(" ").filter(Boolean);
  codesRun.add(proxyCode());
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      BIN,
      "proxy",
      "--upstream",
      `unix:${upstreamPath}`,
      "--listen",
      `unix:${listenPath}`,
      "--facade",
      "jobs",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.once("exit", kill);
  const stop = async () => {
    // SIGTERM first: the proxy shuts down cleanly (and writes a CPU profile when asked to).
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(kill, nodeArgs.length > 0 ? 15_000 : 3000);
    await exited;
    clearTimeout(timer);
    process.off("exit", kill);
  };
  try {
    await listening(child);
  } catch (error) {
    await stop();
    throw error;
  }
  return { child, path: listenPath, memory: () => memoryOf(child.pid ?? 0), stop };
}

/** The proxy says "listening on" on stderr once its socket accepts clients. */
function listening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`proxy did not start within 20 s: ${text}`)), 20_000);
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      text += chunk;
      if (text.includes("listening on")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`proxy exited with ${code}: ${text}`));
    });
  });
}

function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssMb: kib("VmRSS") / 1024, peakMb: kib("VmHWM") / 1024 };
}
