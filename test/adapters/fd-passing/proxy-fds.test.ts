/**
 * Descriptors through both proxies to real QEMU 7.2: `jobshim proxy --facade jobs` in front of
 * QEMU and `--facade legacy` in front of that (legacy∘jobs), each a child process as users run
 * them. QEMU's /proc/PID/fd shows which file each descriptor it took refers to, so every check
 * names the file that arrived. Python's socket.send_fds is a second sender, independent of ours.
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QmpClient } from "../../../src/qmp/client.ts";
import type { JsonObject } from "../../../src/qmp/json-value.ts";
import { type ProxyProcess, startProxyProcess } from "../../helpers/proxy-process.ts";
import { type QemuMonitors, qemuOrSkipReason, startQemuMonitors } from "../../helpers/qemu-qmp-process.ts";
import {
  descriptorTarget,
  fdPassingSkipReason,
  openDescriptorCount,
  RawQmpSocket,
} from "../../helpers/scm-rights.ts";

const { binary, skipReason: qemuSkip } = qemuOrSkipReason();
const skipReason = qemuSkip ?? fdPassingSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason}: descriptor passing through the proxies not tested ***\n`);

const SEND_FDS = path.join(import.meta.dirname, "../../helpers/send-fds.py");
const NO_FD = "No file descriptor supplied via SCM_RIGHTS";

interface Setup {
  dir: string;
  qemu: QemuMonitors;
  jobs: ProxyProcess;
  legacy: ProxyProcess;
  /** legacy∘jobs with `--policy read-only`: every getfd is refused by policy. */
  readOnly: ProxyProcess;
  jobsTcp: string;
  jobsWs: string;
  files: Record<"a" | "b", { path: string; fd: number }>;
}

let setup: Setup | undefined;
const stops: (() => Promise<void>)[] = [];

function listening(proxy: ProxyProcess, pattern: RegExp): Promise<string> {
  return (async () => {
    for (let i = 0; i < 100; i++) {
      const found = pattern.exec(proxy.stderr())?.[1];
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no ${pattern} in: ${proxy.stderr()}`);
  })();
}

beforeAll(async () => {
  if (skipReason || !binary) return;
  const dir = mkdtempSync(path.join(tmpdir(), "jobshim-fds-"));
  stops.push(async () => rmSync(dir, { recursive: true, force: true }));
  const files = {} as Setup["files"];
  for (const name of ["a", "b"] as const) {
    const file = path.join(dir, `${name}.txt`);
    writeFileSync(file, name);
    const fd = openSync(file, "r");
    stops.push(async () => closeSync(fd));
    files[name] = { path: file, fd };
  }
  const qemu = await startQemuMonitors(binary);
  stops.push(() => qemu.stop());
  const jobs = await startProxyProcess(
    ["--upstream", qemu.unix, "--listen", "tcp:127.0.0.1:0", "--listen", "ws://127.0.0.1:0"],
    path.join(dir, "jobs.sock"),
  );
  stops.push(() => jobs.stop());
  const upstream = ["--upstream", `unix:${jobs.socketPath}`, "--facade", "legacy"];
  const legacy = await startProxyProcess(upstream, path.join(dir, "legacy.sock"));
  stops.push(() => legacy.stop());
  const readOnly = await startProxyProcess([...upstream, "--policy", "read-only"], path.join(dir, "ro.sock"));
  stops.push(() => readOnly.stop());
  const jobsTcp = `tcp:127.0.0.1:${await listening(jobs, /listening on tcp:127\.0\.0\.1:(\d+)/)}`;
  const jobsWs = `ws://127.0.0.1:${await listening(jobs, /listening on ws:\/\/127\.0\.0\.1:(\d+)/)}`;
  setup = { dir, qemu, jobs, legacy, readOnly, jobsTcp, jobsWs, files };
}, 60_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
});

const s = (): Setup => setup as Setup;
const qemuPid = () => s().qemu.process.pid as number;
const targets = [
  { name: "proxy --facade jobs", socket: () => s().jobs.socketPath },
  { name: "legacy∘jobs", socket: () => s().legacy.socketPath },
];

async function withClient<T>(socket: string, run: (client: QmpClient) => Promise<T>): Promise<T> {
  const client = await QmpClient.connect(`unix:${socket}`);
  try {
    return await run(client);
  } finally {
    await client.close();
  }
}

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: { errorClass?: string; desc?: string }) => ({ class: error.errorClass, desc: error.desc }),
  );

describe.skipIf(skipReason !== undefined)("descriptors through the proxies to QEMU 7.2", () => {
  for (const target of targets) {
    it(`${target.name}: getfd, closefd; add-fd, query-fdsets, remove-fd`, async () => {
      const { a } = s().files;
      await withClient(target.socket(), async (client) => {
        expect(await client.execute("getfd", { fdname: "lib" }, { descriptors: [a.fd] })).toEqual({});
        expect(await client.execute("closefd", { fdname: "lib" })).toEqual({});
        expect(await errorOf(client.execute("closefd", { fdname: "lib" }))).toEqual({
          class: "GenericError",
          desc: "File descriptor named 'lib' not found",
        });
        expect(await errorOf(client.execute("getfd", { fdname: "none" }))).toEqual({
          class: "GenericError",
          desc: NO_FD,
        });
        const added = (await client.execute(
          "add-fd",
          { opaque: "lib-a" },
          { descriptors: [a.fd] },
        )) as JsonObject;
        expect(descriptorTarget(qemuPid(), added.fd as number)).toBe(a.path);
        const sets = (await client.execute("query-fdsets")) as JsonObject[];
        expect(sets).toContainEqual({
          "fdset-id": added["fdset-id"],
          fds: [{ fd: added.fd, opaque: "lib-a" }],
        });
        expect(await client.execute("remove-fd", { "fdset-id": added["fdset-id"] as number })).toEqual({});
        const after = (await client.execute("query-fdsets")) as JsonObject[];
        expect(after.map((set) => set["fdset-id"])).not.toContain(added["fdset-id"]);
      });
    });

    it(`${target.name}: pipelined add-fds each take the descriptor their own bytes carried`, async () => {
      const { a, b } = s().files;
      const raw = await RawQmpSocket.negotiated(target.socket());
      try {
        raw.send('{"execute":"add-fd","arguments":{"opaque":"A"},"id":1}\n', [a.fd]);
        raw.send('{"execute":"add-fd","arguments":{"opaque":"B"},"id":2}\n', [b.fd]);
        raw.send('{"execute":"getfd","arguments":{"fdname":"bare"},"id":3}\n');
        const [first, second, third] = [await raw.reply(), await raw.reply(), await raw.reply()];
        const added = [first?.return, second?.return] as JsonObject[];
        expect(descriptorTarget(qemuPid(), added[0]?.fd as number)).toBe(a.path);
        expect(descriptorTarget(qemuPid(), added[1]?.fd as number)).toBe(b.path);
        expect(third).toEqual({ error: { class: "GenericError", desc: NO_FD }, id: 3 });
        for (const [index, set] of added.entries()) {
          raw.send(
            `{"execute":"remove-fd","arguments":{"fdset-id":${set["fdset-id"]}},"id":${10 + index}}\n`,
          );
          expect(await raw.reply()).toEqual({ return: {}, id: 10 + index });
        }
      } finally {
        await raw.close();
      }
    });

    it(`${target.name}: Python's socket.send_fds agrees`, async () => {
      const { a } = s().files;
      const run = spawnSync("python3", [SEND_FDS, target.socket(), a.path], {
        encoding: "utf8",
        timeout: 20_000,
      });
      expect(run.status, run.stderr).toBe(0);
      const [getfd, added, sets] = run.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line)) as JsonObject[];
      expect(getfd).toEqual({ return: {} });
      const set = added?.return as JsonObject;
      expect(descriptorTarget(qemuPid(), set.fd as number)).toBe(a.path);
      expect(sets?.return).toContainEqual({
        "fdset-id": set["fdset-id"],
        fds: [{ fd: set.fd, opaque: "python" }],
      });
      await withClient(target.socket(), async (client) => {
        // The named descriptor is QEMU's monitor's (the proxy's one connection): it outlives Python's.
        expect(await client.execute("closefd", { fdname: "py" })).toEqual({});
        expect(await client.execute("remove-fd", { "fdset-id": set["fdset-id"] as number })).toEqual({});
      });
    });
  }

  it("TCP and WebSocket listeners carry no descriptors: getfd gets QEMU's own answer of a TCP monitor", async () => {
    const qemuTcp = await QmpClient.connect(s().qemu.tcp);
    const qemuAnswer = await errorOf(qemuTcp.execute("getfd", { fdname: "x" })).finally(() =>
      qemuTcp.close(),
    );
    expect(qemuAnswer).toEqual({ class: "GenericError", desc: NO_FD });
    for (const address of [s().jobsTcp, s().jobsWs]) {
      const client = await QmpClient.connect(address);
      try {
        expect(client.carriesDescriptors).toBe(false);
        expect(await errorOf(client.execute("getfd", { fdname: "x" }))).toEqual(qemuAnswer);
        expect(await errorOf(client.execute("add-fd"))).toEqual({ class: "GenericError", desc: NO_FD });
      } finally {
        await client.close();
      }
    }
  });

  it("10 000 forwards and 10 000 refusals leave no descriptor open in either proxy or in QEMU", async () => {
    const { a } = s().files;
    const pids = { jobs: s().jobs.child.pid as number, legacy: s().legacy.child.pid as number };
    const readOnlyPid = s().readOnly.child.pid as number;
    const counts = () => ({
      jobs: openDescriptorCount(pids.jobs),
      legacy: openDescriptorCount(pids.legacy),
      readOnly: openDescriptorCount(readOnlyPid),
      qemu: openDescriptorCount(qemuPid()),
    });
    // The previous test's connections may still be closing in the proxies: count from rest.
    const before = await settledCounts(counts);
    // Forwards: through legacy∘jobs, so each proxy forwards 10 000. QEMU replaces a name's descriptor.
    await withClient(s().legacy.socketPath, async (client) => {
      for (let i = 0; i < 10_000; i++)
        await client.execute("getfd", { fdname: "leak" }, { descriptors: [a.fd] });
      expect(await client.execute("closefd", { fdname: "leak" })).toEqual({});
    });
    // Refusals, each with a descriptor: unknown command, bad JSON, bad arguments (at each proxy)
    // and policy (at the read-only one).
    const refusals = [
      '{"execute":"frobnicate"}\n',
      '{"execute" "getfd"}\n',
      '{"execute":"getfd","arguments":{"fdname":1}}\n',
    ];
    for (const socket of [s().jobs.socketPath, s().legacy.socketPath]) {
      const raw = await RawQmpSocket.negotiated(socket);
      try {
        for (let i = 0; i < 10_000; i++) {
          raw.send(refusals[i % refusals.length] as string, [a.fd]);
          expect(await raw.reply()).toHaveProperty("error");
        }
      } finally {
        await raw.close();
      }
    }
    const policy = await RawQmpSocket.negotiated(s().readOnly.socketPath);
    try {
      for (let i = 0; i < 10_000; i++) {
        policy.send('{"execute":"getfd","arguments":{"fdname":"p"}}\n', [a.fd]);
        expect(await policy.reply()).toEqual({
          error: {
            class: "GenericError",
            desc: "Command 'getfd' is not allowed by this listener's policy 'read-only'",
          },
        });
      }
    } finally {
      await policy.close();
    }
    // getfd's arguments are not in jobshim's schema, so QEMU refused `fdname: 1` itself, after its
    // chardev had taken the descriptor: QEMU keeps the descriptors of its last read that had any
    // until a command takes them, as on any monitor. A getfd without one takes it.
    await withClient(s().jobs.socketPath, async (client) => {
      // Succeeds only because QEMU still held one (else: No file descriptor supplied via SCM_RIGHTS).
      expect(await client.execute("getfd", { fdname: "held" })).toEqual({});
      expect(await client.execute("closefd", { fdname: "held" })).toEqual({});
    });
    const after = await settledCounts(counts);
    console.log(`open descriptors before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
    expect(after).toEqual(before);
  }, 240_000);
});

/** Descriptor counts once they have not changed for 300 ms (closes complete asynchronously). */
async function settledCounts<T>(read: () => T): Promise<T> {
  let last = JSON.stringify(read());
  for (let round = 0; round < 50; round++) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const now = JSON.stringify(read());
    if (now === last) return JSON.parse(now) as T;
    last = now;
  }
  return JSON.parse(last) as T;
}
