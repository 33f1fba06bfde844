/**
 * The interactive loop of `jobshim shell`: reads lines with completion and history, sends each
 * as a QMP command (or HMP command line) and prints the reply as QEMU writes it; events are
 * printed as they arrive, also while the prompt waits, without losing what is being typed.
 */
import readline from "node:readline";
import type { QmpClient } from "../../src/qmp/client.ts";
import type { JsonValue } from "../../src/qmp/json-value.ts";
import type { QmpEvent } from "../../src/qmp/protocol.ts";
import { toQemuJson } from "../../src/qmp/qemu-json-writer.ts";
import { QmpError } from "../../src/qmp/qmp-error.ts";
import { formatAddress } from "../../src/transports/address.ts";
import { UsageError } from "../exit-codes.ts";
import { type Completions, completeLine } from "./completion.ts";
import { HISTORY_SIZE, loadHistory, saveHistory } from "./history-file.ts";
import { requestOf } from "./shell-line.ts";

export interface ShellOptions {
  hmp: boolean;
  pretty: boolean;
  historyFile: string;
  timeoutMs: number;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream & { isTTY?: boolean };
}

/** How the session ended: the user left (EOF), or the monitor went away. */
export type ShellEnd = "eof" | "connection-lost";

export class ShellSession {
  private readonly rl: readline.Interface;
  private readonly terminal: boolean;
  private idle = false;
  private lost = false;

  constructor(
    private readonly client: QmpClient,
    private readonly completions: Completions,
    private readonly options: ShellOptions,
  ) {
    this.terminal = (options.input as { isTTY?: boolean }).isTTY === true;
    this.rl = readline.createInterface({
      input: options.input,
      output: options.output,
      terminal: this.terminal,
      prompt: options.hmp ? "(HMP) " : "(QEMU) ",
      completer: (line: string) => completeLine(this.completions, line),
      history: loadHistory(options.historyFile),
      historySize: HISTORY_SIZE,
      removeHistoryDuplicates: true,
    });
    this.rl.on("history", (history: string[]) => saveHistory(options.historyFile, history));
    this.rl.on("SIGINT", () => this.interrupt());
  }

  async run(): Promise<ShellEnd> {
    const stopEvents = this.client.onEvent((event) => this.show(event));
    void this.watchConnection();
    try {
      this.greet();
      this.prompt();
      for await (const line of this.rl) {
        this.idle = false;
        await this.handle(line);
        if (!this.client.connected) {
          this.lost = true;
          break;
        }
        this.prompt();
      }
      if (this.terminal && !this.lost) this.options.output.write("\n");
      return this.lost ? "connection-lost" : "eof";
    } finally {
      stopEvents();
      this.rl.close();
    }
  }

  private greet(): void {
    if (!this.terminal) return;
    const version = this.client.greeting.QMP.version.qemu;
    this.write(
      `Connected to QEMU ${version.major}.${version.minor}.${version.micro} at ${formatAddress(this.client.address)}` +
        `\nCompletion: ${this.completions.commands.size} commands from ${this.completions.source}; history in ${this.options.historyFile}; Ctrl-D leaves\n`,
    );
  }

  private async handle(line: string): Promise<void> {
    try {
      const request = requestOf(line, this.options.hmp);
      if (request === undefined) return;
      const result = await this.client.execute(request.command, request.args, {
        timeoutMs: this.options.timeoutMs,
        oob: request.oob,
      });
      this.write(
        this.options.hmp && typeof result === "string" ? result : `${this.json({ return: result })}\n`,
      );
    } catch (error) {
      if (error instanceof QmpError)
        this.write(`${this.json({ error: { class: error.errorClass, desc: error.desc } })}\n`);
      else if (error instanceof UsageError) this.write(`error: ${error.message}\n`);
      else this.write(`error: ${(error as Error).message}\n`);
    }
  }

  /** An event while the prompt waits is printed above it; the line being typed is kept. */
  private show(event: QmpEvent): void {
    const text = `${this.json(event as unknown as JsonValue)}\n`;
    if (!this.idle || !this.terminal) {
      this.write(text);
      return;
    }
    this.write(`\r\x1b[K${text}`);
    this.rl.prompt(true);
  }

  /** Ctrl-C drops the line being typed, as in bash; Ctrl-D leaves. */
  private interrupt(): void {
    this.write("^C\n");
    this.rl.write(null, { ctrl: true, name: "u" });
    this.prompt();
  }

  private prompt(): void {
    this.idle = true;
    if (this.terminal) this.rl.prompt();
  }

  /** Resolves when the monitor closes the connection; the line reader is closed so `run` ends. */
  private async watchConnection(): Promise<void> {
    for await (const _ of this.client.eventsOf()) {
      // Only the end of the stream matters here.
    }
    if (this.client.connected) return;
    this.lost = true;
    this.rl.close();
  }

  private json(value: JsonValue): string {
    return this.options.pretty ? JSON.stringify(value, null, 2) : toQemuJson(value);
  }

  private write(text: string): void {
    this.options.output.write(text);
  }
}
