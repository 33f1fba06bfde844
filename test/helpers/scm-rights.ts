/**
 * Test-only: a raw QMP client of a unix socket that sends bytes with descriptors exactly as given
 * (one sendmsg per `send`, no waiting for answers), so tests can pipeline, split and malform
 * requests that carry descriptors; and counts of a process's open descriptors. Uses the
 * project's addon to send: tests that need it skip loudly without it (`fdPassingSkipReason`).
 */
import { readdirSync, readlinkSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { descriptorPassingUnavailable, fdPassingAddon } from "../../src/transports/fd-passing.ts";

/** `REQUIRE_QEMU=1` (CI) also requires the addon: a CI that built nothing must not pass quietly. */
export function fdPassingSkipReason(): string | undefined {
  if (descriptorPassingUnavailable === undefined) return undefined;
  if (process.env.REQUIRE_QEMU === "1")
    throw new Error(`REQUIRE_QEMU=1 but descriptor passing is unavailable: ${descriptorPassingUnavailable}`);
  return `SKIPPED: descriptor passing unavailable (${descriptorPassingUnavailable}); SCM_RIGHTS tests did not run`;
}

/** How many descriptors process `pid` has open. */
export function openDescriptorCount(pid: number | "self" = "self"): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** What descriptor `fd` of process `pid` refers to (a path, `socket:[…]`, …). */
export function descriptorTarget(pid: number, fd: number): string {
  return readlinkSync(`/proc/${pid}/fd/${fd}`);
}

export class RawQmpSocket {
  private buffered = "";
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;

  private constructor(
    private readonly socket: Socket,
    private readonly fd: number,
  ) {
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => {
      this.buffered += text;
      for (let end = this.buffered.indexOf("\n"); end >= 0; end = this.buffered.indexOf("\n")) {
        this.lines.push(this.buffered.slice(0, end).trim());
        this.buffered = this.buffered.slice(end + 1);
      }
      this.waiter?.();
    });
    socket.on("close", () => {
      this.ended = true;
      this.waiter?.();
    });
    socket.on("error", () => undefined);
  }

  static open(path: string): Promise<RawQmpSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ path });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
        resolve(new RawQmpSocket(socket, fd));
      });
    });
  }

  /** Greeting read, capabilities negotiated. */
  static async negotiated(path: string): Promise<RawQmpSocket> {
    const raw = await RawQmpSocket.open(path);
    await raw.next();
    raw.send('{"execute":"qmp_capabilities"}\n');
    const reply = await raw.next();
    if (!("return" in reply)) throw new Error(`negotiation refused: ${JSON.stringify(reply)}`);
    return raw;
  }

  /** One sendmsg of `text` with `descriptors` (which stay the caller's). */
  send(text: string, descriptors: readonly number[] = []): void {
    if (!fdPassingAddon) throw new Error(`cannot send descriptors: ${descriptorPassingUnavailable}`);
    const bytes = Buffer.from(text, "utf8");
    const sent = fdPassingAddon.send(this.fd, bytes, descriptors);
    if (sent !== bytes.length) throw new Error(`sendmsg sent ${sent} of ${bytes.length} bytes`);
  }

  /** The next message (reply or event), parsed; fails after `timeoutMs`. */
  async next(timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.ended) throw new Error("connection closed");
      if (Date.now() > deadline) throw new Error(`no message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
    }
    return JSON.parse(this.lines.shift() as string) as Record<string, unknown>;
  }

  /** The next reply, skipping events. */
  async reply(timeoutMs = 10_000): Promise<Record<string, unknown>> {
    for (;;) {
      const message = await this.next(timeoutMs);
      if (!("event" in message)) return message;
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ended) return resolve();
      this.socket.once("close", () => resolve());
      this.socket.destroy();
    });
  }
}
