/**
 * Test-only: a raw byte-level QMP session, to compare exactly what two servers send back for
 * exactly the same bytes. Replies are split on CRLF, which both QEMU and jobshim end them with.
 */
import { connect, type Socket } from "node:net";

export class RawQmpSession {
  private received = "";
  private lines: string[] = [];
  private wake: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => {
      this.received += text;
      let end = this.received.indexOf("\r\n");
      while (end >= 0) {
        this.lines.push(this.received.slice(0, end));
        this.received = this.received.slice(end + 2);
        end = this.received.indexOf("\r\n");
      }
      this.wake?.();
    });
  }

  static open(path: string): Promise<RawQmpSession> {
    return new Promise((resolve, reject) => {
      const socket = connect({ path });
      socket.once("error", reject);
      socket.once("connect", () => resolve(new RawQmpSession(socket)));
    });
  }

  /** Waits for `count` more lines (after sending `bytes`, if any). */
  async exchange(bytes: string | Buffer | undefined, count: number, timeoutMs = 5000): Promise<string[]> {
    if (bytes !== undefined) this.socket.write(bytes);
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} lines, got ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, left);
      });
    }
    return this.lines.splice(0, count);
  }

  close(): void {
    this.socket.destroy();
  }
}
