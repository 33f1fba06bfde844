/**
 * Test-only helper: start a real `qemu-system-x86_64` with a QMP unix socket, talk just enough QMP
 * to negotiate and run commands, and always clean up (process killed, socket directory removed).
 * The project's real QMP runtime lives in src/; this stays deliberately small so tests that need
 * "the truth" do not depend on the code they check.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export const DEFAULT_QEMU = "/usr/bin/qemu-system-x86_64";

/** The binary to use: `$QEMU` if set, else the distribution's; `undefined` when absent. */
export function findQemu(): string | undefined {
  const candidate = process.env.QEMU ?? DEFAULT_QEMU;
  return existsSync(candidate) ? candidate : undefined;
}

/** A QMP error reply, kept structured so tests can assert on class and text. */
export class QmpError extends Error {
  constructor(
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`${errorClass}: ${desc}`);
    this.name = "QmpError";
  }
}

type Reply = { return?: unknown; error?: { class: string; desc: string }; id?: unknown };

/** One QMP connection: replies are matched by id; events are collected in arrival order. */
export class QmpConnection {
  readonly events: Record<string, unknown>[] = [];
  greeting: Record<string, unknown> | undefined;
  private buffer = "";
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { settle: (reply: Reply) => void; fail: (err: Error) => void }
  >();
  private greetingWaiter: ((g: Record<string, unknown>) => void) | undefined;
  private closedError: Error | undefined;

  constructor(private readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.receive(chunk));
    socket.on("close", () => this.failAll(new Error("QMP connection closed")));
    socket.on("error", (err) => this.failAll(err));
  }

  /** Waits for the greeting and leaves capabilities-negotiation mode. */
  async negotiate(): Promise<void> {
    if (!this.greeting) {
      await new Promise<Record<string, unknown>>((resolve) => {
        this.greetingWaiter = resolve;
      });
    }
    await this.execute("qmp_capabilities");
  }

  /** Runs a command; resolves with its `return` value, rejects with QmpError on an error reply. */
  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    const request = args ? { execute: command, arguments: args, id } : { execute: command, id };
    return new Promise((resolve, reject) => {
      const settle = (reply: Reply) => {
        if (reply.error) reject(new QmpError(reply.error.class, reply.error.desc));
        else if ("return" in reply) resolve(reply.return);
        else reject(new Error(`unexpected QMP reply ${JSON.stringify(reply)}`));
      };
      this.pending.set(id, { settle, fail: reject });
      this.socket.write(`${JSON.stringify(request)}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  /** QEMU ends every message with CRLF and never puts a raw newline inside one. */
  private receive(chunk: string): void {
    this.buffer += chunk;
    let end = this.buffer.indexOf("\n");
    while (end >= 0) {
      const line = this.buffer.slice(0, end).trim();
      this.buffer = this.buffer.slice(end + 1);
      if (line) this.dispatch(JSON.parse(line) as Record<string, unknown>);
      end = this.buffer.indexOf("\n");
    }
  }

  private dispatch(message: Record<string, unknown>): void {
    if ("QMP" in message) {
      this.greeting = message;
      this.greetingWaiter?.(message);
    } else if ("event" in message) {
      this.events.push(message);
    } else if (typeof message.id === "number") {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      waiter?.settle(message as Reply);
    }
  }

  private failAll(err: Error): void {
    this.closedError ??= err;
    for (const waiter of this.pending.values()) waiter.fail(err);
    this.pending.clear();
  }
}

export interface QemuInstance {
  qmp: QmpConnection;
  process: ChildProcess;
  /** The QMP socket; it lives in a private temporary directory that `stop` removes. */
  socketPath: string;
  /** Quits QEMU politely, kills it if it lingers, removes the socket directory. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  binary?: string;
  /** Replaces the default machine arguments (everything except `-qmp`). */
  args?: string[];
  /** How long to wait for the QMP socket, in ms. */
  timeoutMs?: number;
}

const DEFAULT_ARGS = ["-nodefaults", "-display", "none", "-machine", "pc,accel=tcg", "-m", "128"];

/** Starts QEMU with a QMP server on a fresh unix socket and returns a negotiated connection. */
export async function startQemu(options: StartOptions = {}): Promise<QemuInstance> {
  const binary = options.binary ?? findQemu();
  if (!binary) throw new Error(`no QEMU binary at ${process.env.QEMU ?? DEFAULT_QEMU}`);
  const dir = mkdtempSync(path.join(tmpdir(), "jobshim-qemu-"));
  const socketPath = path.join(dir, "qmp.sock");
  const args = [...(options.args ?? DEFAULT_ARGS), "-qmp", `unix:${socketPath},server=on,wait=off`];
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (s: string) => {
    stderr += s;
  });
  // "close" comes after "exit" once stderr is drained, so QEMU's complaint is complete by then.
  let closed = false;
  const exited = new Promise<void>((resolve) =>
    child.once("close", () => {
      closed = true;
      resolve();
    }),
  );
  let qmp: QmpConnection | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await quitOrKill(child, exited, qmp);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const socket = await connectWhenReady(
      socketPath,
      () => (closed ? child : undefined),
      () => stderr,
      options.timeoutMs ?? 15_000,
    );
    qmp = new QmpConnection(socket);
    await qmp.negotiate();
    return { qmp, process: child, socketPath, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function quitOrKill(child: ChildProcess, exited: Promise<void>, qmp: QmpConnection | undefined) {
  if (child.exitCode === null && child.signalCode === null) {
    qmp?.execute("quit").catch(() => {
      // The reply races the socket closing; either outcome is fine.
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    if (!qmp) child.kill("SIGKILL");
    await exited;
    clearTimeout(timer);
  }
  qmp?.close();
}

/** Retries connecting until QEMU has created the socket; fails fast if QEMU exits first. */
async function connectWhenReady(
  socketPath: string,
  exitedChild: () => ChildProcess | undefined,
  stderr: () => string,
  timeoutMs: number,
): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const child = exitedChild();
    if (child) {
      throw new Error(`QEMU exited (${child.exitCode ?? child.signalCode}) before QMP was up: ${stderr()}`);
    }
    try {
      return await tryConnect(socketPath);
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`QMP socket not ready after ${timeoutMs} ms: ${err}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function tryConnect(socketPath: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    socket.once("connect", () => {
      socket.removeListener("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}
