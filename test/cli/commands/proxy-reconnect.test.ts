/**
 * `jobshim proxy --reconnect` as a user runs it: started before its QEMU exists, it listens and
 * tells clients QEMU is away; once a QEMU opens the socket it serves it; SIGINT stops it cleanly.
 * `--journal` without `--reconnect` is refused with one line.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { QmpClient } from "../../../src/qmp/client.ts";
import type { JsonObject } from "../../../src/qmp/json-value.ts";
import type { QmpError } from "../../../src/qmp/qmp-error.ts";
import { type LoneQemu, sleep, startLoneQemu } from "../../adapters/faults/fault-kit.ts";
import { migrationSkipReason, waitUntil } from "../../helpers/migration-pair.ts";
import { projectRoot } from "../../helpers/paths.ts";
import { runJobshim } from "../run-jobshim.ts";

const skipReason = migrationSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason} ***\n`);

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
});

describe("jobshim proxy --reconnect", () => {
  it("refuses --journal without --reconnect", () => {
    const run = runJobshim([
      "proxy",
      "--upstream",
      "unix:/nonexistent",
      "--listen",
      "unix:/nonexistent2",
      "--journal",
      "j",
    ]);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe("jobshim: --journal needs --reconnect\n");
  });

  it.skipIf(skipReason !== undefined)(
    "waits for QEMU, serves it, stops on SIGINT",
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "jobshim-cli-reconnect-"));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const qmpSocket = path.join(dir, "qemu.qmp");
      const listen = `unix:${path.join(dir, "proxy.sock")}`;
      const child = spawn(
        process.execPath,
        [
          path.join(projectRoot, "bin/jobshim.js"),
          "proxy",
          "--upstream",
          `unix:${qmpSocket}`,
          "--listen",
          listen,
          "--reconnect",
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (text: string) => {
        stderr += text;
      });
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      cleanups.push(() => child.kill("SIGKILL"));
      await waitUntil(() => (stderr.includes("listening on") ? true : undefined), "proxy listening", 15_000);

      const early = await QmpClient.connect(listen);
      cleanups.push(() => early.close());
      const refusal = await early.execute("query-status").catch((error: unknown) => error);
      expect((refusal as QmpError).desc).toMatch(/is not connected; the proxy is reconnecting/);

      const qemu: LoneQemu = await startLoneQemu(qmpSocket);
      cleanups.push(() => qemu.kill());
      await waitUntil(() => (early.connected ? undefined : true), "waiting client let go", 10_000);
      const client = await QmpClient.connect(listen);
      cleanups.push(() => client.close());
      expect(((await client.execute("query-status")) as JsonObject).status).toBe("running");
      expect(stderr).toMatch(/connected to QEMU at unix:.*\(connection 1\)/);

      child.kill("SIGINT");
      expect(await exited).toBe(0);
      await sleep(10);
      expect(stderr).toMatch(/stopped \(interrupted\)\n$/);
    },
    60_000,
  );
});
