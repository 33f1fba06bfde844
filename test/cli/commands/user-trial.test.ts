/**
 * The rough edges a new user hit (issue 15), each through the real bin: --version, an empty
 * schema, a listen folder that is missing, a QMP monitor another client holds (QEMU's -qmp
 * socket serves one client at a time), and a proxy whose QEMU goes away (non-zero, said why).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type QemuPair, startQemuPair } from "../../../adapters/qemu-pair.ts";
import { QmpClient } from "../../../src/qmp/client.ts";
import { migrationSkipReason } from "../../helpers/migration-pair.ts";
import { projectRoot } from "../../helpers/paths.ts";
import { startProxyProcess } from "../../helpers/proxy-process.ts";
import { runJobshim } from "../run-jobshim.ts";

const skipReason = migrationSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason} ***\n`);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "jobshim-trial-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The bin as a child this process can go on serving beside; killed after 40 s at the latest. */
function started(args: string[]): {
  child: ChildProcess;
  done: Promise<{ code: number | null; stderr: string }>;
} {
  const child = spawn(process.execPath, [path.join(projectRoot, "bin/jobshim.js"), ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (s: string) => {
    stderr += s;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 40_000);
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    }),
  );
  return { child, done };
}

describe("jobshim: the user trial's rough edges", { timeout: 60_000 }, () => {
  it("--version prints the package's version", () => {
    const run = runJobshim(["--version"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe("0.1.0\n");
  });

  it("schema check of an empty file says it has no definitions", () => {
    const file = path.join(dir, "empty.json");
    writeFileSync(file, "\n");
    const run = runJobshim(["schema", "check", file]);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${file}: ok (1 file, no definitions)\n`);
  });

  it("proxy --listen in a missing folder says the folder is missing (usage, 2)", () => {
    const run = runJobshim([
      "proxy",
      "--upstream",
      "unix:/nonexistent/qmp",
      "--listen",
      `unix:${dir}/no-such/p.sock`,
    ]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      `jobshim: cannot listen on unix:${dir}/no-such/p.sock: the folder ${dir}/no-such does not exist (create it first)\n`,
    );
  });

  describe.skipIf(skipReason !== undefined)("on real QEMU", () => {
    let pair: QemuPair;
    beforeAll(async () => {
      pair = await startQemuPair({ fillMiB: 1 });
    });
    afterAll(async () => {
      await pair?.stop();
    });

    it("a monitor held by another client: qmp and proxy both say one client at a time", async () => {
      const holder = await QmpClient.connect(pair.destination.qmp);
      try {
        const qmp = started(["qmp", pair.destination.qmp, "query-status", "--timeout", "1000"]);
        const proxy = started([
          "proxy",
          "--facade",
          "legacy",
          "--upstream",
          pair.destination.qmp,
          "--listen",
          `unix:${path.join(dir, "held.sock")}`,
        ]);
        const [q, p] = await Promise.all([qmp.done, proxy.done]);
        expect(q.code).toBe(3);
        expect(q.stderr).toMatch(
          /^jobshim: .*no QMP greeting within 1000 ms: QEMU's -qmp socket serves one client at a time;/,
        );
        expect(p.code).not.toBe(0);
        expect(p.stderr).toMatch(/^jobshim proxy: connecting to unix:.*\n/);
        expect(p.stderr).toContain("QEMU's -qmp socket serves one client at a time");
      } finally {
        await holder.close();
      }
    });

    it("proxy exits 3 and says why when its QEMU goes away", async () => {
      const listen = path.join(dir, "gone.sock");
      const proxy = await startProxyProcess(["--upstream", pair.source.qmp, "--facade", "jobs"], listen);
      try {
        const closed = new Promise<number | null>((resolve) => proxy.child.once("close", resolve));
        await pair.source.kill();
        expect(await closed).toBe(3);
        expect(proxy.stderr()).toContain(
          `jobshim proxy: stopped (upstream ${pair.source.qmp} went away: QEMU exited or closed its monitor)`,
        );
      } finally {
        await proxy.stop();
      }
    });
  });
});
