/**
 * Event translation latency: from QEMU's MIGRATION event arriving at the job-facade proxy to a
 * client of that proxy reading the JOB_SUBSTATUS_CHANGE (and JOB_STATUS_CHANGE) it becomes.
 *
 * Method: the proxy runs in this process (`createJobFacadeProxy`) over an upstream wrapper that
 * stamps each upstream event with hrtime as the QMP client hands it over (after framing, before
 * the facade sees it); the client is a QmpClient on the proxy's unix socket in the same process,
 * stamping each event as its event stream yields it. Same clock, no cross-process skew. The VM
 * (64 MiB, idle) is migrated again and again to `exec:cat > /dev/null` through job-migrate, and
 * resumed with `cont` after each run. Every command and event on the way is recorded for the
 * validation benchmark.
 *
 * Beside it, under the same migrations, the floor (event-relay.ts): a bare relay of the same
 * MIGRATION events on a second monitor of the same QEMU, measured the same way.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Upstream, upstreamOf } from "../adapters/job-facade/upstream.ts";
import { createJobFacadeProxy, type JobFacadeProxy } from "../adapters/proxy.ts";
import { QmpClient } from "../src/qmp/client.ts";
import type { QmpEvent } from "../src/qmp/protocol.ts";
import { QmpError } from "../src/qmp/qmp-error.ts";
import { type EventRelay, startEventRelay } from "./event-relay.ts";
import { loadAverage } from "./machine.ts";
import { startBenchQemu } from "./qmp-qemu.ts";
import { median, micros, quantile, round } from "./stats.ts";
import { type IntervalSplit, ThreadClock, type ThreadStamp } from "./thread-clock.ts";
import { TrafficRecorder } from "./traffic.ts";

/** Enough that p99 is not the maximum: 3-4 MIGRATION events each, 180+ samples. */
const MIGRATIONS = Number(process.env.BENCH_EVENT_MIGRATIONS ?? 60);
const JOB_TIMEOUT_MS = 30_000;

export interface EventsBenchResult {
  /** 1/5/15-minute load average when this benchmark started and ended. */
  load_average: { start: number[]; end: number[] };
  translation_p50_us: number;
  translation_p99_us: number;
  translation_max_us: number;
  /** MIGRATION events measured, and those with no matching job event (left out). */
  samples: number;
  unmatched: number;
  /** Same split by the migration status carried. */
  p50_us_by_status: Record<string, number>;
  max_us_by_status: Record<string, number>;
  migrations: number;
  /** `cont` refused right after the job concluded ("Migration is not finalized yet"), retried. */
  cont_retries: number;
  /**
   * The facade asks QEMU query-migrate before it applies an event (facade.ts, observeEvent):
   * this round trip, seen from the upstream wrapper, is most of the translation time.
   */
  upstream_query_migrate_p50_us: number;
  upstream_query_migrate_p99_us: number;
  /** From the last query-migrate answer before the job event to the client reading it. */
  after_query_p50_us: number;
  after_query_p99_us: number;
  /**
   * The slowest samples, each with where its wall time went on this process's main thread
   * (thread-clock.ts): on a core, waiting in the run queue for one, in GC, or asleep (waiting
   * for a socket), and whether a facade query-migrate answer arrived within it.
   */
  worst_samples: (IntervalSplit & { status: string; query_answered_within: boolean })[];
  /** Per status, the median of each part of the split. */
  split_p50_by_status: Record<string, Omit<IntervalSplit, "wall_us">>;
  /** The same split summed over every sample slower than 1 ms. */
  over_1ms: { samples: number } & Omit<IntervalSplit, "wall_us"> & { wall_us: number };
  /** The bare relay's latencies for the same MIGRATION events (event-relay.ts). */
  floor: {
    p50_us: number;
    p99_us: number;
    max_us: number;
    samples: number;
    p50_us_by_status: Record<string, number>;
  };
  /** p99 under 1 ms, or within 1.5× of the floor's p99 where the floor is above 1 ms. */
  target_met: boolean;
}

interface Stamped {
  at: bigint;
  thread: ThreadStamp;
  event: QmpEvent;
}

/** The facade's upstream, with each event stamped on arrival and all traffic recorded. */
function instrumented(
  client: QmpClient,
  arrivals: Stamped[],
  traffic: TrafficRecorder,
  queryMigrateUs: number[],
  queryMigrateEnds: bigint[],
  clock: ThreadClock,
): Upstream {
  const base = upstreamOf(client);
  base.onEvent((event) => {
    arrivals.push({ at: process.hrtime.bigint(), thread: clock.stamp(), event });
    traffic.event(event.event, event.data);
  });
  return {
    execute: async (command, args, options) => {
      const started = process.hrtime.bigint();
      try {
        return await traffic.record(command, args, () => base.execute(command, args, options));
      } finally {
        if (command === "query-migrate") {
          const ended = process.hrtime.bigint();
          queryMigrateUs.push(micros(started, ended));
          queryMigrateEnds.push(ended);
        }
      }
    },
    onEvent: (listener) => base.onEvent(listener),
    onClose: (listener) => base.onClose(listener),
    get oobEnabled() {
      return base.oobEnabled;
    },
    close: () => base.close(),
  };
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + JOB_TIMEOUT_MS; !check(); ) {
    if (Date.now() > deadline) throw new Error(`event benchmark: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Pairs each upstream MIGRATION(status) with the first later job event carrying that substatus. */
function pair(arrivals: Stamped[], seen: Stamped[]) {
  const used = new Set<Stamped>();
  const latencies: {
    status: string;
    us: number;
    from: bigint;
    to: bigint;
    arrival: Stamped;
    match: Stamped;
  }[] = [];
  let unmatched = 0;
  for (const arrival of arrivals) {
    if (arrival.event.event !== "MIGRATION") continue;
    const status = String(arrival.event.data?.status);
    const match = seen.find(
      (s) =>
        !used.has(s) &&
        s.at >= arrival.at &&
        s.event.event === "JOB_SUBSTATUS_CHANGE" &&
        s.event.data?.substatus === status,
    );
    if (!match) {
      unmatched++;
      continue;
    }
    used.add(match);
    latencies.push({
      status,
      us: micros(arrival.at, match.at),
      from: arrival.at,
      to: match.at,
      arrival,
      match,
    });
  }
  return { latencies, unmatched };
}

export async function benchEvents(binary: string, traffic: TrafficRecorder): Promise<EventsBenchResult> {
  const loadAtStart = loadAverage();
  const qemu = await startBenchQemu(binary, 2, ["-machine", "pc,accel=tcg", "-m", "64"]);
  const dir = mkdtempSync(join(tmpdir(), "jobshim-bench-events-"));
  let proxy: JobFacadeProxy | undefined;
  let client: QmpClient | undefined;
  let relay: EventRelay | undefined;
  const arrivals: Stamped[] = [];
  const seen: Stamped[] = [];
  const queryMigrateUs: number[] = [];
  const queryMigrateEnds: bigint[] = [];
  let contRetries = 0;
  const clock = new ThreadClock();
  try {
    relay = await startEventRelay(qemu.sockets[1] as string, join(dir, "relay.sock"));
    const upstreamClient = await QmpClient.connect(`unix:${qemu.sockets[0]}`);
    proxy = await createJobFacadeProxy({
      upstream: instrumented(upstreamClient, arrivals, traffic, queryMigrateUs, queryMigrateEnds, clock),
      listen: [`unix:${join(dir, "proxy.sock")}`],
    });
    client = await QmpClient.connect(`unix:${join(dir, "proxy.sock")}`);
    const events = client.eventsOf();
    void (async () => {
      for await (const event of events) {
        seen.push({ at: process.hrtime.bigint(), thread: clock.stamp(), event });
        traffic.event(event.event, event.data);
      }
    })();
    const run = (command: string, args?: Parameters<QmpClient["execute"]>[1]) =>
      traffic.record(command, args, () => (client as QmpClient).execute(command, args));
    for (let i = 0; i < MIGRATIONS; i++) {
      const id = `bench${i}`;
      await run("job-migrate", { "job-id": id, uri: "exec:cat > /dev/null" });
      await waitFor(
        () =>
          seen.some(
            (s) =>
              s.event.event === "JOB_STATUS_CHANGE" &&
              s.event.data?.id === id &&
              s.event.data.status === "null",
          ),
        `job ${id} to end`,
      );
      await proxy.facade.settled();
      await run("query-jobs");
      // The job concludes on QEMU's `completed` event; QEMU leaves finish-migrate a moment
      // later (a legacy client reacting to the event sees the same): retry until it has.
      for (;;) {
        const refused = await run("cont").then(
          () => false,
          (error: unknown) => {
            if (error instanceof QmpError && error.desc === "Migration is not finalized yet") return true;
            throw error;
          },
        );
        if (!refused) break;
        contRetries++;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
  } finally {
    await relay?.close();
    await client?.close();
    await proxy?.close();
    await qemu.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const { latencies, unmatched } = pair(arrivals, seen);
  const answeredWithin = (from: bigint, to: bigint) => queryMigrateEnds.some((t) => t >= from && t <= to);
  const splits = latencies.map((l) => ({
    status: l.status,
    ...clock.split(l.arrival.thread, l.match.thread),
    query_answered_within: answeredWithin(l.from, l.to),
  }));
  clock.close();
  const slow = splits.filter((s) => s.wall_us > 1000);
  const sum = (pick: (s: IntervalSplit) => number) => slow.reduce((total, s) => total + pick(s), 0);
  const afterQuery = latencies.flatMap(({ from, to }) => {
    const last = queryMigrateEnds.filter((t) => t >= from && t <= to).at(-1);
    return last === undefined ? [] : [micros(last, to)];
  });
  const all = latencies.map((l) => l.us);
  const statuses = [...new Set(latencies.map((l) => l.status))];
  const floor = relayLatencies(relay as EventRelay);
  const p99 = quantile(all, 0.99);
  const floorP99 = quantile(
    floor.map((f) => f.us),
    0.99,
  );
  return {
    load_average: { start: loadAtStart, end: loadAverage() },
    translation_p50_us: round(median(all)),
    translation_p99_us: round(quantile(all, 0.99)),
    translation_max_us: round(Math.max(...all)),
    samples: all.length,
    unmatched,
    p50_us_by_status: Object.fromEntries(
      statuses.map((s) => [s, round(median(latencies.filter((l) => l.status === s).map((l) => l.us)))]),
    ),
    max_us_by_status: Object.fromEntries(
      statuses.map((s) => [s, round(Math.max(...latencies.filter((l) => l.status === s).map((l) => l.us)))]),
    ),
    migrations: MIGRATIONS,
    cont_retries: contRetries,
    upstream_query_migrate_p50_us: round(median(queryMigrateUs)),
    upstream_query_migrate_p99_us: round(quantile(queryMigrateUs, 0.99)),
    after_query_p50_us: round(median(afterQuery)),
    after_query_p99_us: round(quantile(afterQuery, 0.99)),
    split_p50_by_status: Object.fromEntries(
      statuses.map((status) => {
        const of = splits.filter((s) => s.status === status);
        const p50 = (pick: (s: IntervalSplit) => number) => round(median(of.map(pick)));
        return [
          status,
          {
            on_cpu_us: p50((s) => s.on_cpu_us),
            run_queue_wait_us: p50((s) => s.run_queue_wait_us),
            gc_us: p50((s) => s.gc_us),
            asleep_us: p50((s) => s.asleep_us),
          },
        ];
      }),
    ),
    worst_samples: [...splits].sort((a, b) => b.wall_us - a.wall_us).slice(0, 5),
    over_1ms: {
      samples: slow.length,
      wall_us: sum((s) => s.wall_us),
      on_cpu_us: sum((s) => s.on_cpu_us),
      run_queue_wait_us: sum((s) => s.run_queue_wait_us),
      gc_us: sum((s) => s.gc_us),
      asleep_us: sum((s) => s.asleep_us),
    },
    floor: {
      p50_us: round(median(floor.map((f) => f.us))),
      p99_us: round(floorP99),
      max_us: round(Math.max(...floor.map((f) => f.us))),
      samples: floor.length,
      p50_us_by_status: Object.fromEntries(
        [...new Set(floor.map((f) => f.status))].map((s) => [
          s,
          round(median(floor.filter((f) => f.status === s).map((f) => f.us))),
        ]),
      ),
    },
    target_met: p99 < 1000 || (floorP99 > 1000 && p99 <= 1.5 * floorP99),
  };
}

/** The relay delivers every event in order: the i-th delivered is the i-th read. */
function relayLatencies(relay: EventRelay): { status: string; us: number }[] {
  return relay.arrivals.flatMap((arrival, i) => {
    const delivered = relay.delivered[i];
    if (delivered === undefined || delivered.event.data?.status !== arrival.event.data?.status) return [];
    return [{ status: String(arrival.event.data?.status), us: micros(arrival.at, delivered.at) }];
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { findQemuBinary } = await import("./qmp-qemu.ts");
  const binary = findQemuBinary();
  if (!binary) throw new Error("no qemu-system-x86_64 (set QEMU=PATH)");
  const traffic = new TrafficRecorder();
  process.stdout.write(`${JSON.stringify(await benchEvents(binary, traffic), null, 2)}\n`);
  process.stderr.write(`recorded ${traffic.messages.length} messages\n`);
}
