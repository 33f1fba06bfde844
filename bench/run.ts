/**
 * `npm run bench`: runs every benchmark and prints a table, or with `--json` one JSON object.
 * Numbers are measured here, in this run; nothing is asserted as a timing anywhere in the tests.
 */
import { cpus, totalmem } from "node:os";
import { benchCodegen } from "./codegen.ts";
import { benchQmp, qmpRows } from "./qmp.ts";

const asJson = process.argv.includes("--json");
const machine = {
  cpus: cpus().length,
  cpu: cpus()[0]?.model ?? "unknown",
  memory_gb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
};
const codegen = benchCodegen();
const qmp = await benchQmp();
const result = { machine, codegen, qmp };

if (asJson) {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  const rows: [string, string, string][] = [
    [
      "codegen: QEMU 7.2 whole schema, parse+check+all emitters (median ms)",
      `${codegen.qemu_schema_ms}`,
      `< ${codegen.target_ms} (QEMU's generator)`,
    ],
    ...Object.entries(codegen.stages_ms).map(([stage, ms]): [string, string, string] => [
      `  stage ${stage} (median ms)`,
      `${ms}`,
      "",
    ]),
    ["codegen: peak RSS (MB)", `${codegen.rss_mb}`, ""],
    ["codegen: entities", `${codegen.entities}`, ""],
    ...qmpRows(qmp),
  ];
  process.stdout.write(
    `machine: ${machine.cpu}, ${machine.cpus} cores, ${machine.memory_gb} GiB, node ${machine.node}\n\n`,
  );
  const width = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(`${"benchmark".padEnd(width)}  value     target\n`);
  for (const [name, value, target] of rows)
    process.stdout.write(`${name.padEnd(width)}  ${value.padEnd(8)}  ${target}\n`);
}
