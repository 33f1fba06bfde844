/**
 * The floor for the QMP benchmark: the least a client can do over a unix socket. It writes a
 * request and waits for the next CRLF (QEMU ends every message with one) without parsing JSON,
 * correlating ids or keeping any state beyond a queue of waiters.
 */
import { connect, type Socket } from "node:net";

export class RawQmpClient {
  private waiters: (() => void)[] = [];
  private lines = 0;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay?.(true);
    socket.on("data", (chunk: Buffer) => {
      for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) {
        const waiter = this.waiters.shift();
        if (waiter) waiter();
        else this.lines++;
      }
    });
  }

  /** Connects, reads the greeting and negotiates (OOB only when asked), like any client must. */
  static async open(path: string, oob = false): Promise<RawQmpClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ path });
      s.once("error", reject);
      s.once("connect", () => resolve(s));
    });
    const client = new RawQmpClient(socket);
    await client.nextLine();
    await client.request(
      oob
        ? '{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}\n'
        : '{"execute":"qmp_capabilities"}\n',
    );
    return client;
  }

  private nextLine(): Promise<void> {
    if (this.lines > 0) {
      this.lines--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Sends one request and resolves when one reply line has arrived. */
  request(text: string): Promise<void> {
    this.socket.write(text);
    return this.nextLine();
  }

  /** Sends `count` requests in one write and resolves when `count` replies have arrived. */
  async pipelined(text: string, count: number): Promise<void> {
    this.socket.write(text.repeat(count));
    for (let i = 0; i < count; i++) await this.nextLine();
  }

  /** Writes `text` at once and resolves when `replies` reply lines have arrived. */
  async batch(text: string, replies: number): Promise<void> {
    this.socket.write(text);
    for (let i = 0; i < replies; i++) await this.nextLine();
  }

  /**
   * Keeps `inFlight` requests outstanding until `total` have been answered: a new request goes
   * out each time a reply arrives. `make(i)` gives the i-th request's text.
   */
  async windowed(make: (i: number) => string, total: number, inFlight: number): Promise<void> {
    let sent = 0;
    const first = Math.min(inFlight, total);
    let burst = "";
    for (; sent < first; sent++) burst += make(sent);
    this.socket.write(burst);
    for (let answered = 0; answered < total; answered++) {
      await this.nextLine();
      if (sent < total) this.socket.write(make(sent++));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
