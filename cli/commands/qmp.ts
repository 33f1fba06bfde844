import type { Command } from "commander";
import { connectQmp } from "../../src/qmp/client.ts";
import { isJsonObject, type JsonObject } from "../../src/qmp/json-value.ts";
import { QmpError } from "../../src/qmp/qmp-error.ts";

/** Reads ARGS-JSON; anything but a JSON object is refused in one line, before connecting. */
export function parseArguments(text: string | undefined): JsonObject | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`ARGS-JSON is not valid JSON: ${(error as Error).message}`);
  }
  if (!isJsonObject(value)) throw new Error('ARGS-JSON must be a JSON object, like \'{"id": "job0"}\'');
  return value;
}

/**
 * `jobshim qmp ADDRESS COMMAND [ARGS-JSON]`: runs one command and prints its `return` value as
 * JSON. A QMP error is printed as `CLASS: desc` on stderr with exit status 1.
 */
export function registerQmpCommand(program: Command): void {
  program
    .command("qmp")
    .description("run one QMP command and print its return value as JSON")
    .argument("<address>", "unix:PATH, tcp:HOST:PORT or ws://HOST:PORT")
    .argument("<command>", "the QMP command, e.g. query-status")
    .argument("[args-json]", "the command's arguments as a JSON object")
    .option("--timeout <ms>", "give up after this many milliseconds", "30000")
    .action(
      async (address: string, command: string, argsJson: string | undefined, flags: { timeout: string }) => {
        const args = parseArguments(argsJson);
        const timeoutMs = Number(flags.timeout);
        const client = await connectQmp(address, { timeoutMs });
        try {
          const result = await client.execute(command, args, { timeoutMs });
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        } catch (error) {
          if (!(error instanceof QmpError)) throw error;
          process.stderr.write(`${error.errorClass}: ${error.desc}\n`);
          process.exitCode = 1;
        } finally {
          await client.close();
        }
      },
    );
}
