/**
 * Proxy overhead: `query-status` and `query-jobs` round trips straight to a real QEMU vs through
 * `jobshim proxy --facade jobs` (its own process) in front of the same QEMU, each side on its own
 * monitor. Both sides use the raw floor client with the same request bytes, so the difference
 * is the proxy alone; a third side goes through a process that only copies bytes, the floor
 * for any proxy process on this machine. Rounds interleave the sides in rotating order; each round yields a
 * ratio, and the medians of those ratios are reported, so load that drifts over the run (the
 * machine is shared) hits both sides alike.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type PipeProcess, startPipeProcess } from "./pipe-process.ts";
import { type ProxyProcess, startProxyProcess } from "./proxy-process.ts";
import { startBenchQemu } from "./qmp-qemu.ts";
import { RawQmpClient } from "./qmp-raw-client.ts";
import { median, micros, quantile, round } from "./stats.ts";

const ROUNDS = 7;
const CALLS_PER_COMMAND = 250;
const WARMUP_CALLS = 300;
const THROUGHPUT_TOTAL = 1500;
const IN_FLIGHT = [1, 32] as const;
const COMMANDS = ["query-status", "query-jobs"] as const;
type Side = "direct" | "proxy" | "pipe";
const SIDES: readonly Side[] = ["direct", "proxy", "pipe"];

export interface CommandLatency {
  p50_us_direct: number;
  p50_us_proxy: number;
  p50_ratio: number;
  p99_ratio: number;
}

export interface ProxyBenchResult extends CommandLatency {
  p99_us_direct: number;
  p99_us_proxy: number;
  /** Proxy rate / direct rate, medians over rounds, per number of commands in flight. */
  throughput_ratio: Record<string, number>;
  /** Replies per second, medians over rounds. */
  throughput_per_s: Record<string, { direct: number; proxy: number; pipe: number }>;
  /** The same measures through a process that only copies bytes (bench/pipe-process.ts). */
  byte_pipe_floor: {
    p50_us: number;
    p50_ratio: number;
    p99_ratio: number;
    throughput_ratio: Record<string, number>;
  };
  by_command: Record<string, CommandLatency>;
  rounds: number;
  calls_per_command_per_round: number;
}

let nextId = 1;
const request = (command: string) => `{"execute":"${command}","id":${nextId++}}\n`;

/** Sequential calls; returns each call's latency in µs. */
async function latencies(client: RawQmpClient, command: string, calls: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = process.hrtime.bigint();
    await client.request(request(command));
    out.push(micros(started, process.hrtime.bigint()));
  }
  return out;
}

async function rate(client: RawQmpClient, inFlight: number): Promise<number> {
  const started = process.hrtime.bigint();
  await client.windowed(() => request("query-status"), THROUGHPUT_TOTAL, inFlight);
  return THROUGHPUT_TOTAL / (micros(started, process.hrtime.bigint()) / 1e6);
}

/** Per round and side: latency samples per command (and pooled), and rates per window. */
interface Samples {
  latency: Map<string, number[]>;
  rate: Map<number, number>;
}

async function measure(clients: Record<Side, RawQmpClient>): Promise<Record<Side, Samples>[]> {
  for (const side of SIDES)
    for (const command of COMMANDS) await latencies(clients[side], command, WARMUP_CALLS);
  const rounds: Record<Side, Samples>[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order so no side always runs first or last.
    const order = [...SIDES.slice(r % SIDES.length), ...SIDES.slice(0, r % SIDES.length)];
    const round = {} as Record<Side, Samples>;
    for (const side of order) round[side] = { latency: new Map(), rate: new Map() };
    for (const command of COMMANDS)
      for (const side of order)
        round[side].latency.set(command, await latencies(clients[side], command, CALLS_PER_COMMAND));
    for (const inFlight of IN_FLIGHT)
      for (const side of order) round[side].rate.set(inFlight, await rate(clients[side], inFlight));
    rounds.push(round);
  }
  return rounds;
}

function latencyOf(rounds: Record<Side, Samples>[], pick: (s: Samples) => number[], via: Side = "proxy") {
  const per = (side: Side, q: number) => rounds.map((r) => quantile(pick(r[side]), q));
  const ratio = (q: number) =>
    median(rounds.map((r) => quantile(pick(r[via]), q) / quantile(pick(r.direct), q)));
  return {
    p50_us_direct: round(median(per("direct", 0.5))),
    p50_us_proxy: round(median(per(via, 0.5))),
    p99_us_direct: round(median(per("direct", 0.99))),
    p99_us_proxy: round(median(per(via, 0.99))),
    p50_ratio: round(ratio(0.5), 3),
    p99_ratio: round(ratio(0.99), 3),
  };
}

function summarize(rounds: Record<Side, Samples>[]): ProxyBenchResult {
  const pooled = latencyOf(rounds, (s) => [...s.latency.values()].flat());
  const by_command = Object.fromEntries(
    COMMANDS.map((command) => {
      const { p50_us_direct, p50_us_proxy, p50_ratio, p99_ratio } = latencyOf(
        rounds,
        (s) => s.latency.get(command) ?? [],
      );
      return [command, { p50_us_direct, p50_us_proxy, p50_ratio, p99_ratio }];
    }),
  );
  const rateOf = (side: Side, n: number) => rounds.map((r) => r[side].rate.get(n) ?? Number.NaN);
  const rateRatio = (side: Side, n: number) =>
    round(median(rounds.map((r) => (r[side].rate.get(n) ?? 0) / (r.direct.rate.get(n) ?? 1))), 3);
  const floor = latencyOf(rounds, (s) => [...s.latency.values()].flat(), "pipe");
  return {
    ...pooled,
    throughput_ratio: Object.fromEntries(IN_FLIGHT.map((n) => [String(n), rateRatio("proxy", n)])),
    throughput_per_s: Object.fromEntries(
      IN_FLIGHT.map((n) => [
        String(n),
        {
          direct: round(median(rateOf("direct", n))),
          proxy: round(median(rateOf("proxy", n))),
          pipe: round(median(rateOf("pipe", n))),
        },
      ]),
    ),
    byte_pipe_floor: {
      p50_us: floor.p50_us_proxy,
      p50_ratio: floor.p50_ratio,
      p99_ratio: floor.p99_ratio,
      throughput_ratio: Object.fromEntries(IN_FLIGHT.map((n) => [String(n), rateRatio("pipe", n)])),
    },
    by_command,
    rounds: ROUNDS,
    calls_per_command_per_round: CALLS_PER_COMMAND,
  };
}

export async function benchProxy(binary: string): Promise<ProxyBenchResult> {
  const qemu = await startBenchQemu(binary, 3);
  const dir = mkdtempSync(join(tmpdir(), "jobshim-bench-proxy-"));
  let proxy: ProxyProcess | undefined;
  let pipe: PipeProcess | undefined;
  const opened: RawQmpClient[] = [];
  try {
    const [directPath, upstreamPath, pipedPath] = qemu.sockets as [string, string, string];
    proxy = await startProxyProcess(upstreamPath, join(dir, "proxy.sock"));
    pipe = await startPipeProcess(pipedPath, join(dir, "pipe.sock"));
    const direct = await RawQmpClient.open(directPath);
    opened.push(direct);
    const viaProxy = await RawQmpClient.open(proxy.path);
    opened.push(viaProxy);
    const viaPipe = await RawQmpClient.open(pipe.path);
    opened.push(viaPipe);
    return summarize(await measure({ direct, proxy: viaProxy, pipe: viaPipe }));
  } finally {
    for (const client of opened) client.close();
    await proxy?.stop();
    await pipe?.stop();
    await qemu.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { findQemuBinary } = await import("./qmp-qemu.ts");
  const binary = findQemuBinary();
  if (!binary) throw new Error("no qemu-system-x86_64 (set QEMU=PATH)");
  process.stdout.write(`${JSON.stringify(await benchProxy(binary), null, 2)}\n`);
}
