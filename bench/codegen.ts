/**
 * Codegen throughput: parse + check + every emitter over QEMU's whole schema, in a fresh process
 * per round (so each round pays what `jobshim codegen` pays: cold caches, no JIT warm-up carried
 * over), reporting the median wall time and the peak RSS.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { qemu72SchemaFile } from "./qemu-sources.ts";

export interface CodegenBenchResult {
  qemu_schema_ms: number;
  qemu_schema_ms_rounds: number[];
  /** Time of the stages inside the process, median over rounds. */
  stages_ms: Record<string, number>;
  rss_mb: number;
  entities: number;
  target_ms: number;
}

const ROUNDS = 5;
/** QEMU's own Python generator over the same schema on these machines (issue 2). */
const QEMU_GENERATOR_MS = 700;

export function benchCodegen(): CodegenBenchResult {
  const schemaPath = qemu72SchemaFile();
  const rounds = Array.from({ length: ROUNDS }, () => runOnce(schemaPath));
  const median = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
  const stageNames = Object.keys(rounds[0]?.stages ?? {});
  return {
    qemu_schema_ms: round1(median(rounds.map((r) => r.totalMs))),
    qemu_schema_ms_rounds: rounds.map((r) => round1(r.totalMs)),
    stages_ms: Object.fromEntries(
      stageNames.map((s) => [s, round1(median(rounds.map((r) => r.stages[s] ?? NaN)))]),
    ),
    rss_mb: round1(Math.max(...rounds.map((r) => r.rssMb))),
    entities: rounds[0]?.entities ?? 0,
    target_ms: QEMU_GENERATOR_MS,
  };
}

interface RoundResult {
  totalMs: number;
  stages: Record<string, number>;
  rssMb: number;
  entities: number;
}

function runOnce(schemaPath: string): RoundResult {
  const worker = join(import.meta.dirname, "codegen-worker.ts");
  const run = spawnSync(process.execPath, ["--import", "tsx", worker, schemaPath], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`codegen benchmark worker failed: ${run.stderr.trim()}`);
  return JSON.parse(run.stdout) as RoundResult;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
