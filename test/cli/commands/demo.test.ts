/**
 * `jobshim demo` end to end on real QEMU, as a user runs it: a completed migration with a
 * summary, and Ctrl-C in the middle leaving no QEMU and no file behind.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findQemuBinary } from "../../../adapters/qemu-pair.ts";
import { migrationSkipReason } from "../../helpers/migration-pair.ts";

const root = path.resolve(import.meta.dirname, "../../..");
const skipReason = migrationSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason} ***\n`);

interface Run {
  child: ChildProcess;
  output: () => string;
  done: Promise<number | null>;
}

function jobshim(args: string[], env: NodeJS.ProcessEnv = process.env): Run {
  const child = spawn(process.execPath, [path.join(root, "bin/jobshim.js"), ...args], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (s: string) => {
    output += s;
  });
  child.stderr?.setEncoding("utf8").on("data", (s: string) => {
    output += s;
  });
  const done = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  void done.then(() => clearTimeout(timer));
  return { child, output: () => output, done };
}

/** The demo's private directory, from the proxy lines it prints. */
const pairDir = (output: string): string | undefined => /unix:(\/\S+)\/source-proxy\.sock/.exec(output)?.[1];

/** Processes whose command line mentions `dir` (the QEMUs the demo started). */
function processesUsing(dir: string): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe("jobshim demo", { timeout: 90_000 }, () => {
  it.skipIf(skipReason !== undefined)("migrates through the job API and ends with a summary", async () => {
    const run = jobshim(["demo", "--fill", "48", "--bandwidth", "32"]);
    const code = await run.done;
    const output = run.output();
    expect(code, output).toBe(0);
    expect(output).toContain("job-migrate migration");
    expect(output).toContain("job-finalize");
    expect(output).toMatch(/outcome\s+completed/);
    expect(output).toMatch(/source\s+created → running → \(setup\) → \(active\) → waiting → pending/);
    const percents = [...output.matchAll(/\]\s+(\d+)%/g)].map((m) => Number(m[1]));
    expect(percents.at(-1)).toBe(100);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    const dir = pairDir(output);
    expect(dir).toBeDefined();
    expect(existsSync(dir as string)).toBe(false);
    expect(processesUsing(dir as string)).toEqual([]);
  });

  it.skipIf(skipReason !== undefined)(
    "Ctrl-C mid-migration stops both QEMUs and removes its files",
    async () => {
      const run = jobshim(["demo", "--fill", "96", "--bandwidth", "16"]);
      const deadline = Date.now() + 30_000;
      while (!run.output().includes("job-migrate migration") && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      const dir = pairDir(run.output());
      expect(dir, run.output()).toBeDefined();
      expect(processesUsing(dir as string).length).toBeGreaterThanOrEqual(2);
      run.child.kill("SIGINT");
      const code = await run.done;
      expect(code).not.toBe(0);
      expect(run.output()).toContain("interrupted");
      expect(processesUsing(dir as string)).toEqual([]);
      expect(existsSync(dir as string)).toBe(false);
    },
  );

  it.skipIf(skipReason !== undefined)("a closed stdout (demo | head) stops both QEMUs too", async () => {
    const run = jobshim(["demo", "--fill", "96", "--bandwidth", "16"]);
    const deadline = Date.now() + 30_000;
    while (!run.output().includes("job-migrate migration") && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const dir = pairDir(run.output());
    expect(dir, run.output()).toBeDefined();
    expect(processesUsing(dir as string).length).toBeGreaterThanOrEqual(2);
    run.child.stdout?.destroy();
    await run.done;
    expect(processesUsing(dir as string)).toEqual([]);
    expect(existsSync(dir as string)).toBe(false);
  });

  it("falls back to the embedded model when no QEMU is on PATH, and says so", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: "/nonexistent-bin" };
    delete env.QEMU;
    const run = jobshim(["demo", "--fill", "8"], env);
    expect(await run.done, run.output()).toBe(0);
    expect(run.output()).toContain(
      "running on the embedded QEMU 7.2 model, not real QEMU (qemu-system-x86_64 not found",
    );
    expect(run.output()).toMatch(/outcome\s+completed/);
  });

  it("refuses a QEMU=PATH that does not exist instead of quietly running the model", async () => {
    const run = jobshim(["demo", "--fill", "8"], { ...process.env, QEMU: "/nonexistent/qemu-system-x86_64" });
    expect(await run.done).toBe(1);
    expect(run.output()).toBe(
      "jobshim demo: QEMU=/nonexistent/qemu-system-x86_64: no such file; unset QEMU to use qemu-system-x86_64 from PATH, or pass --model for the embedded model\n",
    );
  });

  it("refuses a --fill larger than the guest before starting anything", async () => {
    const run = jobshim(["demo", "--fill", "200"]);
    expect(await run.done).toBe(1);
    expect(run.output()).toBe(
      "jobshim demo: --fill 200 does not fit the 128 MiB guest: at most 112 MiB (the image is loaded at 16 MiB)\n",
    );
  });

  it.skipIf(skipReason !== undefined)(
    "shows QEMU's own message when QEMU dies, not the socket error",
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "jobshim-demo-test-"));
      try {
        // A real QEMU told to load an image that is not there: it dies after opening its monitor.
        const wrapper = path.join(dir, "qemu-with-missing-image");
        const qemu = findQemuBinary() as string;
        writeFileSync(
          wrapper,
          `#!/bin/sh\nexec ${qemu} "$@" -device loader,file=/nonexistent/image.bin,addr=0x2000000\n`,
          { mode: 0o755 },
        );
        const run = jobshim(["demo", "--fill", "8"], { ...process.env, QEMU: wrapper });
        expect(await run.done).toBe(1);
        expect(run.output()).toMatch(
          /jobshim demo: QEMU \((source|destination)\) died: .*Cannot load specified image \/nonexistent\/image\.bin\n$/,
        );
        expect(run.output()).not.toContain("ECONNRESET");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it("says SIGTERM, not Ctrl-C, when terminated, and stops everything", async () => {
    const run = jobshim(["demo", "--model", "--fill", "96", "--bandwidth", "8"]);
    const deadline = Date.now() + 30_000;
    while (!run.output().includes("job-migrate migration") && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    run.child.kill("SIGTERM");
    expect(await run.done).not.toBe(0);
    expect(run.output()).toContain("terminated (SIGTERM): stopped every QEMU and proxy");
    expect(run.output()).not.toContain("Ctrl-C");
  });

  it("runs on the model with --model even where QEMU is installed", async () => {
    const run = jobshim(["demo", "--model", "--fill", "8"]);
    expect(await run.done, run.output()).toBe(0);
    expect(run.output()).toContain("running on the embedded QEMU 7.2 model, not real QEMU (--model)");
    expect(run.output()).toMatch(/outcome\s+completed/);
    // Not a terminal: plain lines, no redraws or escape sequences.
    expect(run.output()).not.toContain("\r");
    expect(run.output()).not.toContain("\u001b[");
  });
});
