/**
 * `jobshim proxy --facade legacy` stacked on `jobshim proxy --facade jobs`, four processes in
 * front of two real QEMUs: a legacy client on the top sockets sees the trace QEMU itself gives
 * for a plain migration, and SIGTERM ends every proxy cleanly.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { scenarioNamed } from "../../../adapters/conformance/catalogue/legacy.ts";
import { runNormalised } from "../../../adapters/conformance/run-legacy-scenario.ts";
import { type QemuPair, startQemuPair } from "../../../adapters/qemu-pair.ts";
import { migrationSkipReason, waitUntil } from "../../helpers/migration-pair.ts";

const root = path.resolve(import.meta.dirname, "../../..");
const skipReason = migrationSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason} ***\n`);

let pair: QemuPair | undefined;
const proxies: ChildProcess[] = [];
afterEach(async () => {
  for (const child of proxies.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  await pair?.stop();
  pair = undefined;
});

async function startProxy(
  upstream: string,
  listen: string,
  facade: "jobs" | "legacy",
): Promise<ChildProcess> {
  const args = ["proxy", "--upstream", upstream, "--listen", listen, "--facade", facade];
  const child = spawn(process.execPath, [path.join(root, "bin/jobshim.js"), ...args], {
    cwd: root,
    stdio: ["ignore", "ignore", "pipe"],
  });
  proxies.push(child);
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (s: string) => {
    stderr += s;
  });
  await waitUntil(() => (stderr.includes("listening on") ? true : undefined), `the ${facade} proxy`, 20_000);
  return child;
}

describe.skipIf(skipReason !== undefined)("jobshim proxy --facade legacy", { timeout: 90_000 }, () => {
  it("stacked on --facade jobs, a plain migration gives QEMU's own trace", async () => {
    const scenario = scenarioNamed("plain-migration");
    pair = await startQemuPair({ fillMiB: 48 });
    const direct = await runNormalised(scenario, {
      source: pair.source.qmp,
      destination: pair.destination.qmp,
      migrationUri: pair.migrationUri,
      killDestination: async () => undefined,
    });
    await pair.stop();

    pair = await startQemuPair({ fillMiB: 48 });
    const top: Record<string, string> = {};
    for (const role of ["source", "destination"] as const) {
      const jobs = `unix:${path.join(pair.dir, `${role}-jobs.sock`)}`;
      top[role] = `unix:${path.join(pair.dir, `${role}-legacy.sock`)}`;
      await startProxy(pair[role].qmp, jobs, "jobs");
      await startProxy(jobs, top[role] as string, "legacy");
    }
    const stacked = await runNormalised(scenario, {
      source: top.source as string,
      destination: top.destination as string,
      migrationUri: pair.migrationUri,
      killDestination: async () => undefined,
    });
    expect(direct.source).toContain('event MIGRATION {"status":"completed"}');
    expect(stacked).toEqual(direct);

    // Top proxies first, as an operator would stop them; each exits 0.
    for (const child of [...proxies].reverse()) {
      child.kill("SIGTERM");
      const code = await new Promise<number | null>((resolve) =>
        child.exitCode === null ? child.once("close", resolve) : resolve(child.exitCode),
      );
      expect(code).toBe(0);
    }
  });

  it("directly on a legacy QEMU it refuses to start and says what it needs", async () => {
    pair = await startQemuPair({ fillMiB: 1 });
    const args = [
      "proxy",
      "--upstream",
      pair.source.qmp,
      "--listen",
      `unix:${path.join(pair.dir, "l.sock")}`,
    ];
    const child = spawn(
      process.execPath,
      [path.join(root, "bin/jobshim.js"), ...args, "--facade", "legacy"],
      {
        cwd: root,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    proxies.push(child);
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (s: string) => {
      stderr += s;
    });
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect(code).toBe(1);
    expect(stderr).toContain("needs a job backend");
  });
});
