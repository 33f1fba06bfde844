/**
 * Does negotiating QMP's "oob" capability change how fast QEMU answers in-band commands? Two
 * raw clients on two monitors of one QEMU (`-machine none`), one negotiated plainly, one with
 * `enable: ["oob"]` (as jobshim's proxy negotiates upstream), `query-status` and `query-jobs`
 * alternately, interleaved rounds; p50 per side and command, median over rounds. A focused
 * micro-run, not part of `npm run bench`: `npx tsx bench/oob-cost.ts`.
 */
import { findQemuBinary, startBenchQemu } from "./qmp-qemu.ts";
import { RawQmpClient } from "./qmp-raw-client.ts";
import { median, micros, round } from "./stats.ts";

const ROUNDS = 7;
const CALLS = 300;

async function p50(client: RawQmpClient, command: string): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const started = process.hrtime.bigint();
    await client.request(`{"execute":"${command}","id":${i}}\n`);
    samples.push(micros(started, process.hrtime.bigint()));
  }
  return median(samples);
}

const binary = findQemuBinary();
if (!binary) throw new Error("no qemu-system-x86_64 (set QEMU=PATH)");
const qemu = await startBenchQemu(binary, 2);
try {
  const plain = await RawQmpClient.open(qemu.sockets[0] as string);
  const oob = await RawQmpClient.open(qemu.sockets[1] as string, true);
  const sides = { plain, oob };
  const results: Record<string, number[]> = {};
  for (let r = 0; r < ROUNDS; r++)
    for (const command of ["query-status", "query-jobs"])
      for (const [name, client] of r % 2 ? Object.entries(sides).reverse() : Object.entries(sides)) {
        const key = `${command} ${name}`;
        results[key] = [...(results[key] ?? []), await p50(client, command)];
      }
  const out = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, round(median(v))]));
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  plain.close();
  oob.close();
} finally {
  await qemu.stop();
}
