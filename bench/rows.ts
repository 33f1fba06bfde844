/** The table `npm run bench` prints: [name, value, target with a verdict]. */
import type { CodegenBenchResult } from "./codegen.ts";
import type { EventsBenchResult } from "./events.ts";
import type { MemoryBenchResult } from "./memory.ts";
import type { ProxyBenchResult } from "./proxy.ts";
import type { ValidateBenchResult } from "./validate.ts";

type Row = [string, string, string];

interface WithQemu {
  proxy: ProxyBenchResult;
  events: EventsBenchResult;
  validate: ValidateBenchResult;
  memory: MemoryBenchResult;
}

const verdict = (met: boolean, target: string) => `${target} ${met ? "(met)" : "(MISSED)"}`;

function proxyRows(p: ProxyBenchResult): Row[] {
  const inFlight = Object.entries(p.throughput_ratio).map(([n, ratio]): Row => {
    const rates = p.throughput_per_s[n];
    return [
      `  throughput ratio, ${n} in flight (proxy/direct; ${rates?.proxy} vs ${rates?.direct} replies/s)`,
      `${ratio}`,
      verdict(ratio >= 0.8, "≥ 0.8"),
    ];
  });
  return [
    [
      "proxy: query-status+query-jobs p50 µs direct / via proxy",
      `${p.p50_us_direct} / ${p.p50_us_proxy}`,
      "",
    ],
    [
      "  p50 ratio (proxy/direct, median of rounds)",
      `${p.p50_ratio}`,
      verdict(p.p50_ratio <= 1.25, "≤ 1.25"),
    ],
    [`  p99 ratio (${p.p99_us_proxy} vs ${p.p99_us_direct} µs)`, `${p.p99_ratio}`, ""],
    ...Object.entries(p.by_command).map(
      ([command, c]): Row => [
        `  ${command}: p50 µs direct / proxy, ratio`,
        `${c.p50_us_direct} / ${c.p50_us_proxy}, ${c.p50_ratio}`,
        "",
      ],
    ),
    ...inFlight,
  ];
}

function eventRows(e: EventsBenchResult): Row[] {
  const floorTarget = Math.round(1.5 * e.floor.p99_us);
  return [
    [
      `events: MIGRATION → JOB_SUBSTATUS_CHANGE at client, p50 µs (${e.samples} events, ${e.migrations} migrations)`,
      `${e.translation_p50_us}`,
      "",
    ],
    [
      `  p99 µs (max ${e.translation_max_us})`,
      `${e.translation_p99_us}`,
      verdict(e.target_met, `< 1000, or ≤ 1.5 × floor p99 (${floorTarget}) where the floor p99 > 1000`),
    ],
    [
      `  floor: bare relay of the same MIGRATION events, p50 / p99 µs (${e.floor.samples} events, max ${e.floor.max_us})`,
      `${e.floor.p50_us} / ${e.floor.p99_us}`,
      "",
    ],
    [
      "  p50 µs by status: facade | floor",
      Object.entries(e.p50_us_by_status)
        .map(([s, us]) => `${s} ${us}|${e.floor.p50_us_by_status[s] ?? "-"}`)
        .join(", "),
      "",
    ],
    [
      "  load average during the events run (start → end)",
      `${e.load_average.start.join(" ")} → ${e.load_average.end.join(" ")}`,
      "",
    ],
    [
      "  of which upstream query-migrate round trip, p50 / p99 µs",
      `${e.upstream_query_migrate_p50_us} / ${e.upstream_query_migrate_p99_us}`,
      "",
    ],
  ];
}

/** One QEMU version's rows (`codegen` undefined), or the rows that need no QEMU. */
export function resultRows(
  withQemu: WithQemu | undefined,
  codegen: CodegenBenchResult | undefined,
  qemuFound = withQemu !== undefined,
): Row[] {
  if (!codegen) return withQemu ? qemuRows(withQemu) : [];
  const codegenRows: Row[] = [
    [
      "codegen: QEMU 7.2 whole schema, parse+check+all emitters (median ms)",
      `${codegen.qemu_schema_ms}`,
      verdict(codegen.qemu_schema_ms < codegen.target_ms, `< ${codegen.target_ms} (QEMU's generator)`),
    ],
    ...Object.entries(codegen.stages_ms).map(
      ([stage, ms]): Row => [`  stage ${stage} (median ms)`, `${ms}`, ""],
    ),
    ["codegen: peak RSS (MB)", `${codegen.rss_mb}`, ""],
  ];
  if (!qemuFound)
    return [
      ["proxy, events, validate, memory", "skipped", "no qemu-system-x86_64 (set QEMU=PATH)"],
      ...codegenRows,
    ];
  return withQemu ? [...qemuRows(withQemu), ...codegenRows] : codegenRows;
}

function qemuRows(withQemu: WithQemu): Row[] {
  const { validate: v, memory: m } = withQemu;
  return [
    ...proxyRows(withQemu.proxy),
    ...eventRows(withQemu.events),
    [`validate: recorded real traffic (${v.recorded_messages} msgs), msgs/s`, `${v.msgs_per_s}`, ""],
    ["  dispatch overhead ratio (validation on / off)", `${v.overhead_ratio}`, ""],
    [
      `memory: proxy RSS MB with ${m.clients} idle clients (idle: ${m.proxy_rss_mb_idle})`,
      `${m.proxy_rss_mb_100_clients}`,
      verdict(m.proxy_rss_mb_100_clients < 100, "< 100"),
    ],
  ];
}
