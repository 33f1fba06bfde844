/**
 * Without the addon (not built, or JOBSHIM_FD_PASSING=off as here) the proxy still serves, says
 * loudly at start that descriptors cannot pass, and a descriptor a client sends is lost as it is
 * on QEMU's TCP monitor: getfd gets QEMU's own `No file descriptor supplied via SCM_RIGHTS`.
 * The sender is Python's socket.send_fds, so this runs whether or not the addon was built.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { QmpClient } from "../../../src/qmp/client.ts";
import { type ProxyProcess, startProxyProcess } from "../../helpers/proxy-process.ts";
import { type QemuMonitors, qemuOrSkipReason, startQemuMonitors } from "../../helpers/qemu-qmp-process.ts";

const { binary, skipReason } = qemuOrSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason}: the proxy without descriptor passing not tested ***\n`);

const SEND_FDS = path.join(import.meta.dirname, "../../helpers/send-fds.py");
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe.skipIf(skipReason !== undefined)("the proxy without descriptor passing", () => {
  it("warns at start, still serves, and getfd gets QEMU's answer for a missing descriptor", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "jobshim-nofd-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const qemu: QemuMonitors = await startQemuMonitors(binary as string);
    cleanups.push(() => qemu.stop());
    const proxy: ProxyProcess = await startProxyProcess(
      ["--upstream", qemu.unix],
      path.join(dir, "jobs.sock"),
      {
        ...process.env,
        JOBSHIM_FD_PASSING: "off",
      },
    );
    cleanups.push(() => proxy.stop());
    expect(proxy.stderr()).toContain(
      "jobshim: WARNING: file descriptor passing is unavailable (turned off by JOBSHIM_FD_PASSING=off): " +
        `clients of unix:${proxy.socketPath} cannot pass descriptors (getfd, add-fd); everything else works`,
    );
    const file = path.join(dir, "a.txt");
    writeFileSync(file, "a");
    const run = spawnSync("python3", [SEND_FDS, proxy.socketPath, file], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const [getfd, added] = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const noFd = { class: "GenericError", desc: "No file descriptor supplied via SCM_RIGHTS" };
    expect(getfd).toEqual({ error: noFd });
    expect(added).toEqual({ error: noFd });
    const client = await QmpClient.connect(`unix:${proxy.socketPath}`);
    try {
      expect(await client.execute("query-status")).toMatchObject({ status: "running" });
    } finally {
      await client.close();
    }
  }, 60_000);
});
