/**
 * Validation over recorded real traffic (bench/events.ts records it from a real QEMU in the same
 * run): the generated validators — argument checks through the server's QmpArgumentValidator,
 * return values and event data through ajv over the generated output schemas — applied to
 * every message, in messages per second; and the cost of argument validation inside dispatch:
 * the recorded commands replayed, pipelined, into an in-process QmpServer whose handlers give
 * the recorded answers, with validation on and off, rounds interleaved.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import {
  commandReturnSchema,
  eventDataSchema,
  QAPI_ANNOTATION_KEYWORDS,
  qapiInputSchema,
  qapiOutputSchema,
} from "../src/generated/json-schemas.ts";
import { QmpArgumentValidator } from "../src/qmp/argument-validator.ts";
import type { JsonObject, JsonValue } from "../src/qmp/json-value.ts";
import { QmpServer } from "../src/qmp/server.ts";
import { QmpCommandError, type QmpHandler } from "../src/qmp/server-session.ts";
import { RawQmpClient } from "./qmp-raw-client.ts";
import { median, micros, round } from "./stats.ts";
import type { TrafficMessage } from "./traffic.ts";

const ROUNDS = 7;
const VALIDATE_PASSES = 20;
const DISPATCH_BATCH = 3000;

export interface ValidateBenchResult {
  msgs_per_s: number;
  /** Dispatch time per request with argument validation / without; 1.0 = free. */
  overhead_ratio: number;
  dispatch_per_s: { validation_off: number; validation_on: number };
  recorded_messages: number;
  recorded_commands: number;
  /** Recorded messages the generated schemas reject (QEMU's real answers the schema does not cover). */
  rejected: number;
  /** Messages with no schema to check (commands or events outside jobshim's schema). */
  unchecked: number;
}

type Check = (message: TrafficMessage) => boolean | undefined;

/** One check per message: undefined when no schema covers it. */
function generatedChecks(): Check {
  const args = new QmpArgumentValidator();
  const ajv = new Ajv({ strict: true, allErrors: false, keywords: [...QAPI_ANNOTATION_KEYWORDS] });
  ajv.addSchema(qapiInputSchema as object).addSchema(qapiOutputSchema as object);
  const cache = new Map<string, ValidateFunction | null>();
  const compiled = (key: string, schema: object | undefined) => {
    if (!cache.has(key)) cache.set(key, schema ? ajv.compile(schema) : null);
    return cache.get(key) ?? undefined;
  };
  return (message) => {
    if (message.kind === "event") {
      const check = compiled(`event ${message.event}`, eventDataSchema(message.event));
      return check ? check(message.data ?? {}) : undefined;
    }
    const argsOk = args.validate(message.command, message.args ?? {}) === undefined;
    const ret = compiled(`ret ${message.command}`, commandReturnSchema(message.command));
    if (!ret || !("return" in message.reply)) return argsOk;
    return ret(message.reply.return) && argsOk;
  };
}

function validationRate(traffic: readonly TrafficMessage[]) {
  const check = generatedChecks();
  const verdicts = traffic.map(check); // also compiles every schema before the clock runs
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const started = process.hrtime.bigint();
    for (let pass = 0; pass < VALIDATE_PASSES; pass++) for (const message of traffic) check(message);
    rates.push((VALIDATE_PASSES * traffic.length) / (micros(started, process.hrtime.bigint()) / 1e6));
  }
  return {
    msgsPerS: median(rates),
    rejected: verdicts.filter((v) => v === false).length,
    unchecked: verdicts.filter((v) => v === undefined).length,
  };
}

type Command = Extract<TrafficMessage, { kind: "command" }>;

/** Handlers that give each command's recorded answers in turn. */
function replayHandlers(commands: readonly Command[]): Record<string, QmpHandler> {
  const answers = new Map<string, Command["reply"][]>();
  for (const c of commands) answers.set(c.command, [...(answers.get(c.command) ?? []), c.reply]);
  return Object.fromEntries(
    [...answers].map(([name, replies]) => {
      let next = 0;
      const handler: QmpHandler = async () => {
        const reply = replies[next++ % replies.length] as Command["reply"];
        if ("return" in reply) return reply.return;
        const error = reply.error as JsonObject;
        throw new QmpCommandError(String(error.class), String(error.desc));
      };
      return [name, handler];
    }),
  );
}

async function dispatchRates(commands: readonly Command[]) {
  const text = commands
    .map(
      (c, i) =>
        `${JSON.stringify({ execute: c.command, ...(c.args ? { arguments: c.args as JsonValue } : {}), id: i })}\n`,
    )
    .join("");
  const batch = text.repeat(Math.max(1, Math.round(DISPATCH_BATCH / commands.length)));
  const count = Math.max(1, Math.round(DISPATCH_BATCH / commands.length)) * commands.length;
  const dir = mkdtempSync(join(tmpdir(), "jobshim-bench-validate-"));
  const modes = [
    { name: "validation_off", validate: undefined },
    { name: "validation_on", validate: new QmpArgumentValidator().validate },
  ] as const;
  const servers: QmpServer[] = [];
  const clients: RawQmpClient[] = [];
  try {
    for (const [i, mode] of modes.entries()) {
      const server = new QmpServer({ handlers: replayHandlers(commands), validate: mode.validate });
      servers.push(server);
      await server.listen(`unix:${join(dir, `s${i}.sock`)}`);
      clients.push(await RawQmpClient.open(join(dir, `s${i}.sock`)));
    }
    const timeOf = async (client: RawQmpClient) => {
      const started = process.hrtime.bigint();
      await client.batch(batch, count);
      return micros(started, process.hrtime.bigint()) / 1e6;
    };
    for (const client of clients) await timeOf(client); // warm-up: JIT, ajv compilation
    const times = modes.map(() => [] as number[]);
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) times[i]?.push(await timeOf(clients[i] as RawQmpClient));
    }
    const ratios = times[0]?.map((off, r) => (times[1]?.[r] ?? Number.NaN) / off) ?? [];
    return {
      overhead: median(ratios),
      off: count / median(times[0] ?? []),
      on: count / median(times[1] ?? []),
    };
  } finally {
    for (const client of clients) client.close();
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchValidate(traffic: readonly TrafficMessage[]): Promise<ValidateBenchResult> {
  const commands = traffic.filter((m): m is Command => m.kind === "command");
  const { msgsPerS, rejected, unchecked } = validationRate(traffic);
  const dispatch = await dispatchRates(commands);
  return {
    msgs_per_s: round(msgsPerS),
    overhead_ratio: round(dispatch.overhead, 3),
    dispatch_per_s: { validation_off: round(dispatch.off), validation_on: round(dispatch.on) },
    recorded_messages: traffic.length,
    recorded_commands: commands.length,
    rejected,
    unchecked,
  };
}
