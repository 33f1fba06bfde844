import type { Command } from "commander";
import type { QmpClient } from "../../src/qmp/client.ts";
import type { JsonObject, JsonValue } from "../../src/qmp/json-value.ts";
import { toQemuJson } from "../../src/qmp/qemu-json-writer.ts";
import { QmpError } from "../../src/qmp/qmp-error.ts";
import { connectMonitor } from "../connect-monitor.ts";
import { EventWait } from "../event-wait.ts";
import { EXIT_CODES_HELP, EXIT_QMP_ERROR, UsageError } from "../exit-codes.ts";
import { positiveMs } from "../positive-number.ts";
import { parseCommandArguments, parseKeyValues } from "../qmp-arguments.ts";

interface QmpFlags {
  timeout: string;
  events?: boolean;
  waitEvent?: string;
  match: string[];
  waitTimeout: string;
}

const HELP_AFTER = `
ARGS are one JSON object ('{"id": "job0"}') or key=value words as in qmp-shell: each value is
JSON where it parses (n=1, on=true, caps=[...]) and a string otherwise (uri=unix:/tmp/m.sock);
a dotted key nests (a.b=1 is {"a": {"b": 1}}).

With --events, stdout is the QMP stream as QEMU writes it: each event and then the reply
({"return": ...}) one JSON line each. A command with a job-id argument (job-migrate, ...) is
followed until that job concludes; a job that fails or is cancelled ends with status 4 and its
error (pass auto-dismiss=false to keep the error readable: an auto-dismissed job takes it along).
QEMU's -qmp socket serves one client at a time: while another client (libvirt, qmp-shell, a
jobshim proxy) is connected, no greeting comes.
${EXIT_CODES_HELP}`;

/**
 * `jobshim qmp ADDRESS COMMAND [ARGS...]`: runs one command and prints its `return` value as
 * JSON, optionally with the events around it. A QMP error is printed as `CLASS: desc` on stderr.
 */
export function registerQmpCommand(program: Command): void {
  program
    .command("qmp")
    .description("run one QMP command and print its return value as JSON")
    .argument("<address>", "unix:PATH, tcp:HOST:PORT or ws://HOST:PORT")
    .argument("<command>", "the QMP command, e.g. query-status")
    .argument("[args...]", "the command's arguments: one JSON object, or key=value words")
    .option(
      "--timeout <ms>",
      "give up connecting or waiting for the reply after this many milliseconds",
      "30000",
    )
    .option("--events", 'print every event as a JSON line, and the reply as {"return": ...}')
    .option("--wait-event <name>", "after the reply, wait for this event (printed as a JSON line)")
    .option(
      "--match <key=value>",
      "with --wait-event: the event's data must contain this (repeatable, dotted keys nest)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      "--wait-timeout <ms>",
      "give up waiting for the event or the job's end after this many milliseconds",
      "60000",
    )
    .addHelpText("after", HELP_AFTER)
    .action(async (address: string, command: string, words: string[], flags: QmpFlags) => {
      const request = validated(command, words, flags);
      const client = await connectMonitor(address, request.timeoutMs);
      try {
        await run(client, request);
      } catch (error) {
        if (!(error instanceof QmpError)) throw error;
        process.stderr.write(`${error.errorClass}: ${error.desc}\n`);
        process.exitCode = EXIT_QMP_ERROR;
      } finally {
        await client.close();
      }
    });
}

interface QmpRequest {
  command: string;
  args: JsonObject | undefined;
  timeoutMs: number;
  waitTimeoutMs: number;
  events: boolean;
  waitFor: { name: string; match: JsonObject } | undefined;
}

function validated(command: string, words: string[], flags: QmpFlags): QmpRequest {
  if (flags.match.length > 0 && flags.waitEvent === undefined)
    throw new UsageError("--match needs --wait-event NAME");
  return {
    command,
    args: parseCommandArguments(words),
    timeoutMs: positiveMs(flags.timeout, "--timeout"),
    waitTimeoutMs: positiveMs(flags.waitTimeout, "--wait-timeout"),
    events: flags.events === true,
    waitFor:
      flags.waitEvent === undefined
        ? undefined
        : { name: flags.waitEvent, match: parseKeyValues(flags.match) },
  };
}

async function run(client: QmpClient, request: QmpRequest): Promise<void> {
  const jobId = request.args?.["job-id"];
  const watching = request.events || request.waitFor !== undefined;
  const wait = new EventWait(client, {
    print: request.events,
    waitFor: request.waitFor,
    jobId: watching && typeof jobId === "string" ? jobId : undefined,
    write: (line) => process.stdout.write(`${line}\n`),
  });
  const interrupted = new AbortController();
  const interrupt = () => interrupted.abort();
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  try {
    const result = await client.execute(request.command, request.args, { timeoutMs: request.timeoutMs });
    process.stdout.write(
      request.events
        ? `${toQemuJson({ return: result } as JsonValue)}\n`
        : `${JSON.stringify(result, null, 2)}\n`,
    );
    await wait.finish(request.waitTimeoutMs, interrupted.signal);
  } finally {
    process.off("SIGINT", interrupt);
    process.off("SIGTERM", interrupt);
  }
}
