/**
 * `npm run bench`: runs every benchmark and prints a table, or with `--json` one JSON object
 * (issue 8's fields plus details). Numbers are measured here, in this run; ratios compare two
 * sides measured interleaved in the same run. Nothing is asserted as a timing anywhere.
 */
import { benchCodegen } from "./codegen.ts";
import { buildDist } from "./dist-build.ts";
import { benchEvents } from "./events.ts";
import { loadAverage, machineInfo, qemuVersion } from "./machine.ts";
import { benchMemory } from "./memory.ts";
import { benchProxy } from "./proxy.ts";
import { proxyCodesRun } from "./proxy-process.ts";
import { benchQmp, qmpRows } from "./qmp.ts";
import { findQemuBinary } from "./qmp-qemu.ts";
import { resultRows } from "./rows.ts";
import { TrafficRecorder } from "./traffic.ts";
import { benchValidate } from "./validate.ts";

const asJson = process.argv.includes("--json");
const binary = findQemuBinary();
const machine = machineInfo();
// Built before anything is timed, so the build does not load the machine during a measurement.
buildDist();
const codegen = benchCodegen();
const withQemu = binary
  ? await (async () => {
      const proxy = await benchProxy(binary);
      const traffic = new TrafficRecorder();
      const events = await benchEvents(binary, traffic);
      const validate = await benchValidate(traffic.messages);
      const memory = await benchMemory(binary);
      return { proxy, events, validate, memory };
    })()
  : undefined;
const qmp = await benchQmp();
machine.load_average_end = loadAverage();
const proxyCode = proxyCodesRun().join(", then ") || "not started";
const result = {
  machine,
  qemu: qemuVersion(binary) ?? "not found (set QEMU=PATH); proxy, events, validate and memory skipped",
  proxy_code: proxyCode,
  ...withQemu,
  codegen,
  qmp,
};

if (asJson) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
else {
  const rows = [...resultRows(withQemu, codegen), ...qmpRows(qmp)];
  process.stdout.write(
    `machine: ${machine.cpu}, ${machine.cpus} cores, ${machine.memory_gb} GiB, node ${machine.node}, ` +
      `QEMU ${result.qemu}\nload average (1/5/15 min): ${machine.load_average_start.join(" ")} at start, ` +
      `${machine.load_average_end.join(" ")} at end (the machine is shared: compare ratios, not absolutes)\n` +
      `jobshim proxy process runs: ${proxyCode}\n\n`,
  );
  const width = Math.max(...rows.map((r) => r[0].length));
  const valueWidth = Math.max(8, ...rows.map((r) => r[1].length));
  process.stdout.write(`${"benchmark".padEnd(width)}  ${"value".padEnd(valueWidth)}  target\n`);
  for (const [name, value, target] of rows)
    process.stdout.write(`${name.padEnd(width)}  ${value.padEnd(valueWidth)}  ${target}\n`);
}
