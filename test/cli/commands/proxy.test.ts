/**
 * `jobshim proxy` as a process in front of a real QEMU: its unix socket is 0600, each client
 * negotiates on its own, both see the facade's commands, and SIGTERM ends it cleanly.
 */
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type QemuPair, startQemuPair } from "../../../adapters/qemu-pair.ts";
import { QmpClient } from "../../../src/qmp/client.ts";
import { migrationSkipReason } from "../../helpers/migration-pair.ts";
import { type ProxyProcess, startProxyProcess } from "../../helpers/proxy-process.ts";
import { RawQmpSession } from "../../helpers/raw-qmp-session.ts";

const root = path.resolve(import.meta.dirname, "../../..");
const skipReason = migrationSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason} ***\n`);

let pair: QemuPair | undefined;
let proxy: ProxyProcess | undefined;
afterEach(async () => {
  await proxy?.stop();
  proxy = undefined;
  await pair?.stop();
  pair = undefined;
});

describe.skipIf(skipReason !== undefined)("jobshim proxy", { timeout: 60_000 }, () => {
  it("serves many clients on a 0600 unix socket, each negotiating on its own", async () => {
    pair = await startQemuPair({ fillMiB: 1 });
    const listen = path.join(pair.dir, "proxy.sock");
    proxy = await startProxyProcess(["--upstream", pair.source.qmp, "--facade", "jobs"], listen);
    expect(statSync(listen).mode & 0o777).toBe(0o600);

    const raw = await RawQmpSession.open(listen);
    await raw.exchange(undefined, 1); // greeting
    const send = async (request: object) =>
      JSON.parse((await raw.exchange(JSON.stringify(request), 1))[0] ?? "null");
    const negotiated = await QmpClient.connect(`unix:${listen}`);
    // The raw session has not negotiated: it gets QEMU's hint while the other client works.
    expect(await send({ execute: "query-jobs" })).toMatchObject({
      error: { class: "CommandNotFound", desc: "Expecting capabilities negotiation with 'qmp_capabilities'" },
    });
    expect(await negotiated.execute("query-jobs")).toEqual([]);
    expect(await send({ execute: "qmp_capabilities" })).toEqual({ return: {} });
    expect(await send({ execute: "job-cancel", arguments: { id: "x" } })).toMatchObject({
      error: { desc: "Job not found" },
    });
    // Pass-through: QEMU's own answer.
    expect(await negotiated.execute("query-status")).toMatchObject({ status: "running" });
    raw.close();
    await negotiated.close();

    const { child } = proxy;
    const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
    child.kill("SIGTERM");
    expect(await closed).toBe(0);
    expect(proxy.stderr()).toContain("stopped (terminated)");
  });

  it("refuses a facade it does not have", async () => {
    pair = await startQemuPair({ fillMiB: 1 });
    const child = spawn(
      process.execPath,
      [
        path.join(root, "bin/jobshim.js"),
        "proxy",
        "--upstream",
        pair.source.qmp,
        "--listen",
        "unix:/tmp/x.sock",
        "--facade",
        "mirror",
      ],
      { cwd: root, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (s: string) => {
      stderr += s;
    });
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect(code).toBe(1);
    expect(stderr).toContain("unknown facade 'mirror'");
  });
});
