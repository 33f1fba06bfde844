/**
 * Test-only: sends one hostile input on a fresh raw connection and collects what comes back,
 * up to the reply to a sentinel request sent right after it. An input that leaves the server's
 * parser waiting (an open bracket, an unfinished string) swallows the sentinel; then whatever
 * arrived within the wait is the answer.
 */
import { connect, type Socket } from "node:net";
import type { HostileInput } from "./corpus.ts";

const SENTINEL_ID = "hostile-sentinel";
const SENTINEL = `\n{"execute":"query-version","id":"${SENTINEL_ID}"}\n`;

export interface Exchange {
  /** Reply lines to the input, in order (greeting, negotiation and sentinel left out). */
  replies: string[];
  /** The sentinel was answered: the server's parser was back at rest. */
  settled: boolean;
  /** The server closed the connection before the exchange ended. */
  closed: boolean;
}

class LineSocket {
  private buffer = "";
  readonly lines: string[] = [];
  private wake: (() => void) | undefined;
  closed = false;

  constructor(readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => {
      this.buffer += text;
      let end = this.buffer.indexOf("\r\n");
      while (end >= 0) {
        this.lines.push(this.buffer.slice(0, end));
        this.buffer = this.buffer.slice(end + 2);
        end = this.buffer.indexOf("\r\n");
      }
      this.wake?.();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on("error", () => undefined);
  }

  /** Waits until `done` holds of the lines, the socket closes, or the time is up. */
  async until(done: (lines: string[]) => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.lines)) {
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) return false;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, Math.min(left, 200));
      });
    }
    return true;
  }

  async next(timeoutMs: number): Promise<string> {
    if (!(await this.until((l) => l.length > 0, timeoutMs))) throw new Error("no reply");
    return this.lines.shift() as string;
  }
}

function open(path: string): Promise<LineSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    socket.once("error", reject);
    socket.once("connect", () => resolve(new LineSocket(socket)));
  });
}

const NEGOTIATION: Record<HostileInput["negotiate"], string | undefined> = {
  none: undefined,
  plain: '{"execute":"qmp_capabilities"}\n',
  oob: '{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}\n',
};

export async function exchange(socketPath: string, input: HostileInput, waitMs = 1500): Promise<Exchange> {
  const s = await open(socketPath);
  try {
    await s.next(5000); // greeting
    const negotiation = NEGOTIATION[input.negotiate];
    if (negotiation) {
      s.socket.write(negotiation);
      await s.next(5000);
    }
    s.socket.write(input.bytes);
    s.socket.write(SENTINEL);
    const isSentinel = (line: string) => line.includes(`"id": "${SENTINEL_ID}"`);
    const settled = await s.until((lines) => lines.some(isSentinel), waitMs);
    return { replies: s.lines.filter((line) => !isSentinel(line)), settled, closed: s.closed };
  } finally {
    s.socket.destroy();
  }
}
