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
  return [
    [
      `events: MIGRATION → JOB_SUBSTATUS_CHANGE at client, p50 µs (${e.samples} events)`,
      `${e.translation_p50_us}`,
      "",
    ],
    ["  p99 µs", `${e.translation_p99_us}`, verdict(e.translation_p99_us < 1000, "< 1000")],
    [
      "  of which upstream query-migrate round trip, p50 / p99 µs",
      `${e.upstream_query_migrate_p50_us} / ${e.upstream_query_migrate_p99_us}`,
      "",
    ],
  ];
}

export function resultRows(withQemu: WithQemu | undefined, codegen: CodegenBenchResult): Row[] {
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
  if (!withQemu)
    return [
      ["proxy, events, validate, memory", "skipped", "no qemu-system-x86_64 (set QEMU=PATH)"],
      ...codegenRows,
    ];
  const { validate: v, memory: m } = withQemu;
  return [
    ...proxyRows(withQemu.proxy),
    ...eventRows(withQemu.events),
    [`validate: recorded real traffic (${v.recorded_messages} msgs), msgs/s`, `${v.msgs_per_s}`, ""],
    ["  dispatch overhead ratio (validation on / off)", `${v.overhead_ratio}`, ""],
    ...codegenRows,
    [
      `memory: proxy RSS MB with ${m.clients} idle clients (idle: ${m.proxy_rss_mb_idle})`,
      `${m.proxy_rss_mb_100_clients}`,
      verdict(m.proxy_rss_mb_100_clients < 100, "< 100"),
    ],
  ];
}
