/**
 * QMP benchmark: `query-status` round trips against real QEMU with the jobshim client beside the
 * raw-socket floor sending the same bytes, and a raw client without ids (QEMU answers those
 * faster) — same QEMU, one monitor each, rounds interleaved in rotating order so drift hits all
 * alike — then the jobshim server's dispatch throughput. Calls are sequential: one in
 * flight at a time, so round trips per second = 1 / latency. Loopback only; bounded loops.
 */
import { connectQmp } from "../src/qmp/client.ts";
import { benchDispatch, type DispatchBenchResult } from "./qmp-dispatch.ts";
import { findQemuBinary, startBenchQemu } from "./qmp-qemu.ts";
import { RawQmpClient } from "./qmp-raw-client.ts";

const ROUNDS = 7;
const CALLS_PER_ROUND = 400;
const WARMUP_CALLS = 200;

export interface ClientStats {
  /** Median over rounds of calls per second. */
  round_trips_per_s: number;
  /** Over every call of every round, in microseconds. */
  p50_us: number;
  p99_us: number;
}

export interface QmpBenchResult {
  qemu?: {
    jobshim: ClientStats;
    /** The floor: the same request bytes as jobshim's (an id per call), no parsing. */
    raw: ClientStats;
    /** Without an id, which QEMU answers measurably faster. */
    raw_no_id: ClientStats;
    rounds: number;
    calls_per_round: number;
  };
  qemu_skipped?: string;
  dispatch: DispatchBenchResult;
}

type Call = () => Promise<unknown>;

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const quantile = (values: number[], q: number) =>
  sorted(values)[Math.min(values.length - 1, Math.floor(q * values.length))] ?? NaN;

/** Runs `calls` sequential calls, appending each latency (µs); returns calls per second. */
async function round(call: Call, calls: number, latencies: number[]): Promise<number> {
  const started = process.hrtime.bigint();
  let previous = started;
  for (let i = 0; i < calls; i++) {
    await call();
    const now = process.hrtime.bigint();
    latencies.push(Number(now - previous) / 1000);
    previous = now;
  }
  return calls / (Number(previous - started) / 1e9);
}

function stats(rates: number[], latencies: number[]): ClientStats {
  return {
    round_trips_per_s: Math.round(quantile(rates, 0.5)),
    p50_us: Math.round(quantile(latencies, 0.5)),
    p99_us: Math.round(quantile(latencies, 0.99)),
  };
}

async function benchAgainstQemu(binary: string): Promise<NonNullable<QmpBenchResult["qemu"]>> {
  const qemu = await startBenchQemu(binary, 3);
  try {
    const [jobshimPath, rawPath, noIdPath] = qemu.sockets as [string, string, string];
    const jobshim = await connectQmp(`unix:${jobshimPath}`, { timeoutMs: 10_000 });
    const raw = await RawQmpClient.open(rawPath);
    const noId = await RawQmpClient.open(noIdPath);
    let id = 1;
    const clients: [string, Call][] = [
      ["jobshim", () => jobshim.execute("query-status")],
      ["raw", () => raw.request(`{"execute":"query-status","id":${id++}}\n`)],
      ["raw_no_id", () => noId.request('{"execute":"query-status"}\n')],
    ];
    for (const [, call] of clients) await round(call, WARMUP_CALLS, []);
    const rates = new Map(clients.map(([name]) => [name, [] as number[]]));
    const latencies = new Map(clients.map(([name]) => [name, [] as number[]]));
    for (let r = 0; r < ROUNDS; r++) {
      // Rotate the order so no client always runs first or last.
      for (const [name, call] of [...clients.slice(r % 3), ...clients.slice(0, r % 3)])
        rates.get(name)?.push(await round(call, CALLS_PER_ROUND, latencies.get(name) ?? []));
    }
    await jobshim.close();
    raw.close();
    noId.close();
    const of = (name: string) => stats(rates.get(name) ?? [], latencies.get(name) ?? []);
    return {
      jobshim: of("jobshim"),
      raw: of("raw"),
      raw_no_id: of("raw_no_id"),
      rounds: ROUNDS,
      calls_per_round: CALLS_PER_ROUND,
    };
  } finally {
    await qemu.stop();
  }
}

export async function benchQmp(): Promise<QmpBenchResult> {
  const binary = findQemuBinary();
  const qemu = binary ? await benchAgainstQemu(binary) : undefined;
  const dispatch = await benchDispatch();
  return qemu ? { qemu, dispatch } : { qemu_skipped: "no qemu-system-x86_64 (set QEMU=PATH)", dispatch };
}

/** Table rows for bench/run.ts: [name, value, note]. */
export function qmpRows(result: QmpBenchResult): [string, string, string][] {
  const rows: [string, string, string][] = [];
  if (result.qemu) {
    const labels = {
      jobshim: "jobshim client",
      raw: "raw socket, same bytes (floor)",
      raw_no_id: "raw, no id",
    };
    for (const name of ["jobshim", "raw", "raw_no_id"] as const) {
      const s = result.qemu[name];
      const label = labels[name];
      rows.push([`qmp: query-status vs QEMU, ${label} (round trips/s)`, `${s.round_trips_per_s}`, ""]);
      rows.push([`  latency p50 / p99 (µs)`, `${s.p50_us} / ${s.p99_us}`, ""]);
    }
  } else rows.push(["qmp: query-status vs QEMU", "skipped", result.qemu_skipped ?? ""]);
  for (const [mode, rate] of Object.entries(result.dispatch.requests_per_s))
    rows.push([`qmp server dispatch, ${mode} (requests/s)`, `${rate}`, ""]);
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify(await benchQmp(), null, 2)}\n`);
}
