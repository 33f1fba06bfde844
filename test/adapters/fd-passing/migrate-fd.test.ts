/**
 * `migrate` to `fd:NAME` on real QEMU 7.2 through both proxies: the client connects to the
 * destination QEMU's incoming socket itself, hands that socket to the source QEMU with `getfd`
 * (SCM_RIGHTS through the proxies), and starts the migration by the descriptor's name, as
 * libvirt does. Through `proxy --facade jobs` with `job-migrate`, and through legacy∘jobs with
 * the legacy `migrate`, which the legacy facade translates to `job-migrate` and the job facade
 * back to `migrate`: the name reaches QEMU unchanged, and the descriptor got there first.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { QmpClient } from "../../../src/qmp/client.ts";
import type { JsonObject } from "../../../src/qmp/json-value.ts";
import { type ProxyProcess, startProxyProcess } from "../../helpers/proxy-process.ts";
import { type QemuInstance, startQemu } from "../../helpers/qemu-process.ts";
import { type QemuMonitors, qemuOrSkipReason, startQemuMonitors } from "../../helpers/qemu-qmp-process.ts";
import { fdPassingSkipReason } from "../../helpers/scm-rights.ts";

const { binary, skipReason: qemuSkip } = qemuOrSkipReason();
const skipReason = qemuSkip ?? fdPassingSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason}: migrate fd:NAME through the proxies not tested ***\n`);

const MACHINE = ["-nodefaults", "-display", "none", "-machine", "pc,accel=tcg", "-m", "128"];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

interface Pair {
  source: QemuMonitors;
  destination: QemuInstance;
  incoming: string;
  jobs: ProxyProcess;
  legacy: ProxyProcess;
}

async function startPair(): Promise<Pair> {
  const dir = mkdtempSync(path.join(tmpdir(), "jobshim-fd-migrate-"));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const incoming = path.join(dir, "incoming.sock");
  const destination = await startQemu({ binary, args: [...MACHINE, "-incoming", `unix:${incoming}`] });
  cleanups.push(() => destination.stop());
  const source = await startQemuMonitors(binary as string);
  cleanups.push(() => source.stop());
  const jobs = await startProxyProcess(["--upstream", source.unix], path.join(dir, "jobs.sock"));
  cleanups.push(() => jobs.stop());
  const legacy = await startProxyProcess(
    ["--upstream", `unix:${jobs.socketPath}`, "--facade", "legacy"],
    path.join(dir, "legacy.sock"),
  );
  cleanups.push(() => legacy.stop());
  return { source, destination, incoming, jobs, legacy };
}

/** A connection to the destination's incoming socket, never read here: it is QEMU's to use. */
function connectPaused(socketPath: string): Promise<{ socket: Socket; fd: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path: socketPath });
    socket.pause();
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.pause();
      resolve({ socket, fd: (socket as unknown as { _handle: { fd: number } })._handle.fd });
    });
  });
}

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Passes the incoming connection to the source QEMU under `name` through the proxy at `socket`. */
async function handOver(pair: Pair, client: QmpClient, name: string): Promise<void> {
  const { socket, fd } = await connectPaused(pair.incoming);
  try {
    expect(await client.execute("getfd", { fdname: name }, { descriptors: [fd] })).toEqual({});
  } finally {
    socket.destroy(); // QEMU has its own; ours goes
  }
}

async function expectDestinationRunning(pair: Pair): Promise<void> {
  const status = await until(async () => {
    const info = (await pair.destination.qmp.execute("query-status")) as { status: string };
    return info.status === "running" ? info : undefined;
  }, "the destination to run");
  expect(status).toMatchObject({ status: "running", running: true });
}

describe.skipIf(skipReason !== undefined)("migrate fd:NAME through the proxies (QEMU 7.2)", () => {
  it("proxy --facade jobs: getfd, then job-migrate to fd:NAME completes", async () => {
    const pair = await startPair();
    const client = await QmpClient.connect(`unix:${pair.jobs.socketPath}`);
    cleanups.push(() => client.close());
    await handOver(pair, client, "mig");
    await client.execute("job-migrate", { "job-id": "m0", uri: "fd:mig", "auto-dismiss": false });
    const job = await until(async () => {
      const jobs = (await client.execute("query-jobs")) as JsonObject[];
      const m0 = jobs.find((entry) => entry.id === "m0");
      return m0?.status === "concluded" ? m0 : undefined;
    }, "job m0 to conclude");
    expect(job).not.toHaveProperty("error");
    expect(job).toMatchObject({ id: "m0", status: "concluded" });
    await expectDestinationRunning(pair);
  }, 90_000);

  it("legacy∘jobs: getfd, then the legacy migrate to fd:NAME completes", async () => {
    const pair = await startPair();
    const client = await QmpClient.connect(`unix:${pair.legacy.socketPath}`);
    cleanups.push(() => client.close());
    await handOver(pair, client, "mig");
    expect(await client.execute("migrate", { uri: "fd:mig" })).toEqual({});
    const info = await until(async () => {
      const migration = (await client.execute("query-migrate")) as JsonObject;
      return migration.status === "completed" || migration.status === "failed" ? migration : undefined;
    }, "the migration to end");
    expect(info.status).toBe("completed");
    await expectDestinationRunning(pair);
  }, 90_000);

  it("legacy∘jobs: migrate to a name no getfd gave gets QEMU's error", async () => {
    const pair = await startPair();
    const client = await QmpClient.connect(`unix:${pair.legacy.socketPath}`);
    cleanups.push(() => client.close());
    const refused = await client.execute("migrate", { uri: "fd:nothing" }).then(
      () => undefined,
      (error: { errorClass: string; desc: string }) => ({ class: error.errorClass, desc: error.desc }),
    );
    // QEMU's own text (monitor_get_fd), passed through both facades.
    expect(refused).toEqual({
      class: "GenericError",
      desc: "File descriptor named 'nothing' has not been found",
    });
  }, 90_000);
});
