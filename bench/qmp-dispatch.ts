/**
 * Server dispatch throughput: a jobshim QmpServer on a unix socket in this process, fed batches
 * of pipelined requests by the raw client, with argument validation off, with a stand-in hook
 * (a constant-cost check, the floor for any validator) and with the generated ajv validator
 * (G1's src/qmp/argument-validator.ts), on valid and on invalid arguments. Modes run
 * interleaved round by round; each reports its median requests per second.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatedArgumentValidator } from "../src/qmp/argument-validator.ts";
import { QmpServer } from "../src/qmp/server.ts";
import type { ArgumentValidator } from "../src/qmp/server-session.ts";
import { RawQmpClient } from "./qmp-raw-client.ts";

const ROUNDS = 9;
const BATCH = 5000;
const VALID = '{"execute":"block-job-set-speed","arguments":{"device":"drive0","speed":1048576}}\n';
const INVALID = '{"execute":"block-job-set-speed","arguments":{"device":"drive0","speed":"fast"}}\n';

/** Only checks that required members are there: what any validator must at least do. */
const standIn: ArgumentValidator = (command, args) =>
  command === "block-job-set-speed" && !("device" in args && "speed" in args)
    ? { class: "GenericError", desc: "Parameter 'device' is missing" }
    : undefined;

interface Mode {
  name: string;
  validate: ArgumentValidator | undefined;
  request: string;
}

export interface DispatchBenchResult {
  batch: number;
  rounds: number;
  /** Median requests per second per mode. */
  requests_per_s: Record<string, number>;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function serve(mode: Mode, path: string): Promise<{ client: RawQmpClient; stop: () => Promise<void> }> {
  const server = new QmpServer({
    handlers: { "block-job-set-speed": () => undefined },
    validate: mode.validate,
  });
  await server.listen(`unix:${path}`);
  const client = await RawQmpClient.open(path);
  return {
    client,
    stop: async () => {
      client.close();
      await server.close();
    },
  };
}

export async function benchDispatch(): Promise<DispatchBenchResult> {
  const ajv = generatedArgumentValidator();
  const modes: Mode[] = [
    { name: "validation off", validate: undefined, request: VALID },
    { name: "stand-in hook", validate: standIn, request: VALID },
    { name: "ajv validator", validate: ajv, request: VALID },
    { name: "ajv validator, invalid args", validate: ajv, request: INVALID },
  ];
  const dir = mkdtempSync(join(tmpdir(), "jobshim-dispatch-"));
  const rates = new Map<string, number[]>(modes.map((m) => [m.name, []]));
  try {
    const servers = await Promise.all(modes.map((mode, i) => serve(mode, join(dir, `s${i}.sock`))));
    // Warm-up: JIT, ajv compilation of the command's schema.
    for (const [i, s] of servers.entries()) await s.client.pipelined(modes[i]?.request ?? VALID, 200);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? modes.keys() : [...modes.keys()].reverse();
      for (const i of order) {
        const mode = modes[i] as Mode;
        const started = process.hrtime.bigint();
        await servers[i]?.client.pipelined(mode.request, BATCH);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        rates.get(mode.name)?.push(BATCH / seconds);
      }
    }
    await Promise.all(servers.map((s) => s.stop()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    batch: BATCH,
    rounds: ROUNDS,
    requests_per_s: Object.fromEntries([...rates].map(([name, r]) => [name, Math.round(median(r))])),
  };
}
