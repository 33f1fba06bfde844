/**
 * `npm run bench`: runs every benchmark and prints a table, or with `--json` one JSON object
 * (issue 8's fields plus details). Numbers are measured here, in this run; ratios compare two
 * sides measured interleaved in the same run. Nothing is asserted as a timing anywhere.
 * The QEMU parts (proxy, events with their floor, validate, memory) run once per QEMU version
 * found (7.2, 10.0), one after the other in this run, and print a table each.
 */
import { benchCodegen } from "./codegen.ts";
import { buildDist } from "./dist-build.ts";
import { benchEvents } from "./events.ts";
import { loadAverage, machineInfo, qemuVersion } from "./machine.ts";
import { benchMemory } from "./memory.ts";
import { benchProxy } from "./proxy.ts";
import { proxyCodesRun } from "./proxy-process.ts";
import { benchQmp, qmpRows } from "./qmp.ts";
import { findQemuBinaries } from "./qmp-qemu.ts";
import { resultRows } from "./rows.ts";
import { TrafficRecorder } from "./traffic.ts";
import { benchValidate } from "./validate.ts";

const asJson = process.argv.includes("--json");
const binaries = findQemuBinaries();
const machine = machineInfo();
// Built before anything is timed, so the build does not load the machine during a measurement.
buildDist();
const codegen = benchCodegen();
async function benchWithQemu(binary: string) {
  const load_average_start = loadAverage();
  const proxy = await benchProxy(binary);
  const traffic = new TrafficRecorder();
  const events = await benchEvents(binary, traffic);
  const validate = await benchValidate(traffic.messages);
  const memory = await benchMemory(binary);
  return { load_average: { start: load_average_start, end: loadAverage() }, proxy, events, validate, memory };
}

const perVersion: Record<string, Awaited<ReturnType<typeof benchWithQemu>> & { qemu: string }> = {};
for (const { label, binary } of binaries)
  perVersion[label] = { qemu: qemuVersion(binary) ?? label, ...(await benchWithQemu(binary)) };
const qmp = await benchQmp();
machine.load_average_end = loadAverage();
const proxyCode = proxyCodesRun().join(", then ") || "not started";
const result = {
  machine,
  qemu:
    binaries.length > 0
      ? binaries.map((b) => perVersion[b.label]?.qemu).join(", ")
      : "not found (set QEMU=PATH); proxy, events, validate and memory skipped",
  proxy_code: proxyCode,
  by_qemu_version: perVersion,
  codegen,
  qmp,
};

if (asJson) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
else {
  const tables = Object.entries(perVersion).map(([label, r]) => ({
    title: `QEMU ${r.qemu} (load average ${r.load_average.start.join(" ")} → ${r.load_average.end.join(" ")})`,
    rows: resultRows(r, undefined),
    label,
  }));
  const rows = [...resultRows(undefined, codegen, tables.length > 0), ...qmpRows(qmp)];
  process.stdout.write(
    `machine: ${machine.cpu}, ${machine.cpus} cores, ${machine.memory_gb} GiB, node ${machine.node}, ` +
      `QEMU ${result.qemu}\nload average (1/5/15 min): ${machine.load_average_start.join(" ")} at start, ` +
      `${machine.load_average_end.join(" ")} at end (the machine is shared: compare ratios, not absolutes)\n` +
      `jobshim proxy process runs: ${proxyCode}\n\n`,
  );
  const all = [...rows, ...tables.flatMap((t) => t.rows)];
  const width = Math.max(...all.map((r) => r[0].length));
  const valueWidth = Math.max(8, ...all.map((r) => r[1].length));
  const print = (table: [string, string, string][]) => {
    process.stdout.write(`${"benchmark".padEnd(width)}  ${"value".padEnd(valueWidth)}  target\n`);
    for (const [name, value, target] of table)
      process.stdout.write(`${name.padEnd(width)}  ${value.padEnd(valueWidth)}  ${target}\n`);
  };
  for (const table of tables) {
    process.stdout.write(`== ${table.title}\n`);
    print(table.rows);
    process.stdout.write("\n");
  }
  process.stdout.write("== without QEMU\n");
  print(rows);
}
