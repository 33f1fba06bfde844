/**
 * Runs QEMU 7.2's own migration test (tests/qtest/migration-test, built by
 * scripts/build-migration-test.sh into a cache outside git) one case at a time, with libqtest's
 * QEMU behind the wrapper in ./qtest-wrapper: directly, through `jobshim proxy --facade jobs`, or
 * through a legacy proxy over a jobs proxy. Each case runs in its own process group, so anything a
 * case leaves running (a QEMU, a helper, a proxy) is found, reported and killed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { projectRoot } from "../helpers/paths.ts";

export type Mode = "direct" | "jobs" | "legacy-over-jobs";
export const modes: readonly Mode[] = ["direct", "jobs", "legacy-over-jobs"];

export type Outcome = "pass" | "fail" | "skip" | "timeout";

export interface CaseResult {
  path: string;
  mode: Mode;
  outcome: Outcome;
  seconds: number;
  /** Why it did not pass: migration-test's own message (first line), else its exit status. */
  detail: string;
  /** The first error-looking line the proxies logged, if any. */
  proxyError: string;
  /** Processes of the case's process group still alive after migration-test exited. */
  strays: string[];
  /** Socket directories the wrapper's helper did not remove. */
  leaks: string[];
}

export const wrapper = path.join(projectRoot, "test/real-clients/qtest-wrapper/qemu-system-x86_64");
export const realQemu = process.env.QEMU ?? "/usr/bin/qemu-system-x86_64";

/** Where scripts/build-migration-test.sh leaves the binary (same defaults as the script). */
export function migrationTestBinary(): string {
  if (process.env.JOBSHIM_MIGRATION_TEST) return process.env.JOBSHIM_MIGRATION_TEST;
  const cache =
    process.env.JOBSHIM_MIGRATION_TEST_CACHE ??
    path.join(
      process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"),
      "jobshim",
      "migration-test-7.2",
    );
  return path.join(cache, "build", "tests", "qtest", "migration-test");
}

function environment(mode: Mode, dir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    QTEST_QEMU_BINARY: wrapper,
    JOBSHIM_QTEST_MODE: mode,
    JOBSHIM_QTEST_QEMU: realQemu,
    JOBSHIM_QTEST_NODE: process.execPath,
    JOBSHIM_QTEST_DIR: path.join(dir, "q"),
    // migration-test's own scratch directory and libqtest's sockets: removed after the case.
    TMPDIR: path.join(dir, "t"),
  };
}

/** `migration-test -l`: every case path, in the test's own order. */
export async function listCases(binary: string): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "jobshim-mt-"));
  try {
    mkdirSync(path.join(dir, "t"));
    const child = spawn(binary, ["-l"], {
      env: environment("direct", dir),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const { code, stdout, stderr } = await collect(child, 60_000);
    if (code !== 0) throw new Error(`${binary} -l exited ${code}: ${stderr}`);
    return stdout
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line.startsWith("/"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function collect(child: ChildProcess, timeoutMs: number) {
  return new Promise<{
    code: number | null;
    signal: string | null;
    stdout: string;
    stderr: string;
    timedOut: boolean;
  }>((resolve) => {
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout?.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
    });
    child.stderr?.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, "SIGKILL");
    }, timeoutMs);
    // "close" waits for stdout/stderr, which a left-over QEMU would hold open: after "exit", wait
    // for them at most 5 s (the caller then finds whatever kept them open).
    let exit: { code: number | null; signal: string | null } | undefined;
    const done = () => {
      clearTimeout(timer);
      if (exit) resolve({ ...exit, stdout, stderr, timedOut });
    };
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      setTimeout(done, 5000).unref();
    });
    child.once("close", (code, signal) => {
      exit ??= { code, signal };
      done();
    });
  });
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is empty already.
  }
}

function groupMembers(pgid: number): string[] {
  const members: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid || fields[0] === "Z") continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim();
      members.push(`${entry} ${cmdline.slice(0, 160)}`);
    } catch {
      // Exited while we looked.
    }
  }
  return members;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The first line of migration-test's output that says what went wrong. */
function firstProblem(output: string): string {
  const lines = output.split("\n").map((line) => line.trim());
  const interesting =
    lines.find((line) =>
      /^(\*\*)?\s*ERROR:|^Bail out|assertion|qemu-system-x86_64:|Broken pipe/i.test(line),
    ) ?? lines.find((line) => /^not ok/.test(line));
  return (interesting ?? "").slice(0, 300);
}

function firstProxyError(logs: string): string {
  const line = logs
    .split("\n")
    .find(
      (text) =>
        /^\[(jobs|legacy) proxy/.test(text) &&
        !/listening on|stopped \(/.test(text) &&
        /\S/.test(text.slice(30)),
    );
  return (line ?? "").slice(0, 300);
}

export interface RunOptions {
  timeoutMs: number;
  /** Copy each case's migration-test output and proxy logs here (one file per case). */
  keepLogsIn?: string;
}

/** Runs one case (`migration-test -p PATH`) in `mode` and always leaves nothing behind. */
export async function runCase(
  binary: string,
  mode: Mode,
  casePath: string,
  options: RunOptions,
): Promise<CaseResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "jobshim-mt-"));
  mkdirSync(path.join(dir, "q"));
  mkdirSync(path.join(dir, "t"));
  const started = performance.now();
  try {
    const child = spawn(binary, ["--tap", "-p", casePath], {
      env: environment(mode, dir),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const result = await collect(child, options.timeoutMs);
    const seconds = (performance.now() - started) / 1000;
    const pgid = child.pid ?? 0;
    // The helpers end once their QEMU is gone: give them a moment, then whatever is left is a stray.
    let strays = groupMembers(pgid);
    for (let waited = 0; strays.length > 0 && waited < 5000; waited += 100) {
      await sleep(100);
      strays = groupMembers(pgid);
    }
    if (strays.length > 0) killGroup(pgid, "SIGKILL");
    const qdir = path.join(dir, "q");
    const entries = readdirSync(qdir);
    const leaks = entries.filter((name) => !name.endsWith(".log")).map((name) => path.join(qdir, name));
    const logs = entries
      .filter((name) => name.endsWith(".log"))
      .sort()
      .map((name) => `==> ${name} <==\n${readFileSync(path.join(qdir, name), "utf8")}`)
      .join("\n");
    const output = `${result.stdout}\n${result.stderr}`;
    const okLine = new RegExp(`^ok \\d+ ${escapeRegExp(casePath)}( |$)`, "m");
    const skipped = new RegExp(`^ok \\d+ ${escapeRegExp(casePath)} # SKIP`, "m").test(result.stdout);
    const passed = result.code === 0 && okLine.test(result.stdout) && !/^not ok/m.test(result.stdout);
    const outcome: Outcome = result.timedOut ? "timeout" : skipped ? "skip" : passed ? "pass" : "fail";
    const status = result.signal ? `killed by ${result.signal}` : `exit ${result.code}`;
    const detail =
      outcome === "pass"
        ? ""
        : outcome === "timeout"
          ? `no result within ${options.timeoutMs / 1000} s`
          : firstProblem(output) || status;
    if (options.keepLogsIn) {
      mkdirSync(options.keepLogsIn, { recursive: true });
      const file = path.join(options.keepLogsIn, `${mode}${casePath.replaceAll("/", "_")}.log`);
      writeFileSync(file, `${outcome} (${status}, ${seconds.toFixed(1)} s)\n${output}\n${logs}\n`);
    }
    return {
      path: casePath,
      mode,
      outcome,
      seconds,
      detail,
      proxyError: firstProxyError(logs),
      strays,
      leaks,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** One line per case: each mode's outcome and seconds. */
export function formatTable(cases: readonly string[], results: ReadonlyMap<string, CaseResult>): string {
  const width = Math.max(...cases.map((c) => c.length), 4);
  const cell = (mode: Mode, c: string) => {
    const r = results.get(`${mode} ${c}`);
    return (r ? `${r.outcome} ${r.seconds.toFixed(1)}s` : "-").padEnd(14);
  };
  const lines = [`${"case".padEnd(width)}  ${modes.map((m) => m.padEnd(14)).join(" ")}`];
  for (const c of cases) lines.push(`${c.padEnd(width)}  ${modes.map((m) => cell(m, c)).join(" ")}`);
  const totals = modes.map((m) => {
    const rs = cases.map((c) => results.get(`${m} ${c}`)).filter((r) => r !== undefined);
    const passed = rs.filter((r) => r.outcome === "pass").length;
    const seconds = rs.reduce((sum, r) => sum + r.seconds, 0);
    return `${passed}/${rs.length} ${seconds.toFixed(0)}s`.padEnd(14);
  });
  lines.push(`${"passed, total time".padEnd(width)}  ${totals.join(" ")}`);
  return lines.join("\n");
}

export function available(binary: string): string | undefined {
  if (!existsSync(binary))
    return `QEMU's migration-test is not built (${binary}): run scripts/build-migration-test.sh`;
  if (!existsSync(realQemu)) return `${realQemu} is missing`;
  return undefined;
}
