/**
 * The proxy's CPU cost per request, which the shared machine's load hardly moves (latency
 * ratios move with it by ±0.2 from run to run). Everything runs in this process: a minimal
 * fake QEMU (answers from a table, in QEMU's layout), `createJobFacadeProxy` in front of it and
 * the raw floor client. For each command and window, CPU time (`process.cpuUsage`) per request
 * through the proxy minus the same requests sent straight to the fake QEMU; the median over
 * rounds. Not part of `npm run bench`: run `npx tsx bench/proxy-cpu.ts` (see README.md).
 * With `--compiled` the proxy is taken from dist/, as `jobshim proxy` runs it; refused when
 * dist/ is not built from the current sources (`npm run build`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as fromSources from "../adapters/proxy.ts";
import { distIsFresh } from "../bin/dist-stamp.js";
import { RawQmpClient } from "./qmp-raw-client.ts";
import { median, round } from "./stats.ts";

const ROUNDS = 5;
const REQUESTS = 5000;
const GREETING =
  '{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}\r\n';
const ANSWERS: Record<string, string> = {
  "query-status": '{"status": "running", "singlestep": false, "running": true}',
  "query-jobs": "[]",
  "query-migrate-capabilities": '[{"state": false, "capability": "events"}]',
};

function fakeQemu(path: string): Promise<Server> {
  const server = createServer((connection) => {
    connection.write(GREETING);
    let buffered = "";
    connection.setEncoding("latin1").on("data", (text: string) => {
      buffered += text;
      for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
        const request = JSON.parse(buffered.slice(0, end)) as { execute: string; id?: unknown };
        buffered = buffered.slice(end + 1);
        const id = request.id === undefined ? "" : `, "id": ${JSON.stringify(request.id)}`;
        connection.write(`{"return": ${ANSWERS[request.execute] ?? "{}"}${id}}\r\n`);
      }
    });
  });
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

let nextId = 1;

/** The proxy factory out of the sources (through tsx) or out of a fresh dist/. */
async function proxyFactory(compiled: boolean): Promise<typeof fromSources.createJobFacadeProxy> {
  if (!compiled) return fromSources.createJobFacadeProxy;
  const root = join(import.meta.dirname, "..");
  if (!distIsFresh(root)) throw new Error("dist/ is missing or stale: run `npm run build` first");
  const compiledModule = "../dist/adapters/proxy.js"; // a variable: type-checking must not need dist/
  return ((await import(compiledModule)) as typeof fromSources).createJobFacadeProxy;
}

async function cpuPerRequest(client: RawQmpClient, command: string, window: number): Promise<number> {
  const before = process.cpuUsage();
  await client.windowed(() => `{"execute":"${command}","id":${nextId++}}\n`, REQUESTS, window);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / REQUESTS;
}

/** µs of CPU per request added by the proxy, by "command w<window>". */
export async function benchProxyCpu(compiled = false): Promise<Record<string, number>> {
  const createJobFacadeProxy = await proxyFactory(compiled);
  const dir = mkdtempSync(join(tmpdir(), "jobshim-bench-proxy-cpu-"));
  const qemu = await fakeQemu(join(dir, "qemu.sock"));
  const proxy = await createJobFacadeProxy({
    upstream: `unix:${join(dir, "qemu.sock")}`,
    listen: [`unix:${join(dir, "proxy.sock")}`],
  });
  const opened: RawQmpClient[] = [];
  try {
    const direct = await RawQmpClient.open(join(dir, "qemu.sock"));
    opened.push(direct);
    const viaProxy = await RawQmpClient.open(join(dir, "proxy.sock"));
    opened.push(viaProxy);
    const samples = new Map<string, number[]>();
    for (let round = 0; round < ROUNDS; round++)
      for (const command of ["query-status", "query-jobs"])
        for (const window of [1, 32]) {
          const added =
            (await cpuPerRequest(viaProxy, command, window)) - (await cpuPerRequest(direct, command, window));
          const key = `${command} w${window}`;
          samples.set(key, [...(samples.get(key) ?? []), added]);
        }
    return Object.fromEntries([...samples].map(([key, values]) => [key, round(median(values), 1)]));
  } finally {
    for (const client of opened) client.close();
    await proxy.close();
    await new Promise((resolve) => qemu.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(
    `${JSON.stringify(await benchProxyCpu(process.argv.includes("--compiled")), null, 2)}\n`,
  );
}
