/**
 * `jobshim shell ADDRESS [-H]`: an interactive QMP shell in the manner of QEMU's qmp-shell, over
 * the project's QMP client: key=value arguments, raw JSON requests, completion from the
 * monitor's own schema, persistent history, events as they arrive, HMP mode.
 */
import type { Command } from "commander";
import { formatAddress } from "../../src/transports/address.ts";
import { connectMonitor } from "../connect-monitor.ts";
import { EXIT_CODES_HELP, EXIT_CONNECTION } from "../exit-codes.ts";
import { positiveMs } from "../positive-number.ts";
import { hmpCompletions, qmpCompletions } from "../shell/completion.ts";
import { defaultHistoryFile } from "../shell/history-file.ts";
import { ShellSession } from "../shell/shell-session.ts";

interface ShellFlags {
  hmp?: boolean;
  pretty?: boolean;
  history?: string;
  timeout: string;
}

const HELP_AFTER = `
Each line is a command with key=value arguments, as in qmp-shell:
  (QEMU) migrate-set-parameters max-bandwidth=33554432 downtime-limit=300
  (QEMU) blockdev-add node-name=d0 driver=qcow2 file.driver=file file.filename=/tmp/d.qcow2
Values are JSON where they parse (1, true, [..], {..}) and strings otherwise; a dotted key nests.
A whole request in JSON is sent as it is: {"execute": "query-status"}.
Replies and events are printed as QEMU writes them, one JSON line each (-p indents them);
events also while the prompt waits. Tab completes command and argument names from the
monitor's query-qmp-schema (else query-commands). Up/down recall history, kept across sessions.
Ctrl-C drops the line being typed; Ctrl-D (EOF) leaves. With -H, each line is an HMP command
sent with human-monitor-command, and its text is printed as QEMU returns it.
QEMU's -qmp socket serves one client at a time: close qmp-shell, libvirt or a proxy first.
${EXIT_CODES_HELP}`;

export function registerShellCommand(program: Command): void {
  program
    .command("shell")
    .description("interactive QMP shell (qmp-shell style): key=value commands, completion, history, events")
    .argument("<address>", "unix:PATH, tcp:HOST:PORT or ws://HOST:PORT")
    .option("-H, --hmp", "HMP mode: lines are human monitor commands, sent with human-monitor-command")
    .option("-p, --pretty", "indent replies and events instead of one line each")
    .option("--history <file>", "where history is kept (default ~/.jobshim-shell_history)")
    .option(
      "--timeout <ms>",
      "give up connecting, or waiting for a reply, after this many milliseconds",
      "30000",
    )
    .addHelpText("after", HELP_AFTER)
    .action(async (address: string, flags: ShellFlags) => {
      const timeoutMs = positiveMs(flags.timeout, "--timeout");
      const client = await connectMonitor(address, timeoutMs);
      try {
        const completions = flags.hmp ? await hmpCompletions(client) : await qmpCompletions(client);
        const session = new ShellSession(client, completions, {
          hmp: flags.hmp === true,
          pretty: flags.pretty === true,
          historyFile: flags.history ?? defaultHistoryFile(),
          timeoutMs,
          input: process.stdin,
          output: process.stdout,
        });
        if ((await session.run()) === "connection-lost") {
          process.stderr.write(
            `jobshim shell: the monitor at ${formatAddress(client.address)} closed the connection\n`,
          );
          process.exitCode = EXIT_CONNECTION;
        }
      } finally {
        await client.close();
      }
    });
}
