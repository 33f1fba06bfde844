/**
 * Test-only: a unix-socket relay between a proxy and its upstream that keeps every line each
 * side sent, so a test can show what the proxy forwarded and what upstream said to it.
 */
import { rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";

export class UpstreamTap {
  /** Lines the proxy sent upstream. */
  readonly sent: string[] = [];
  /** Lines upstream sent to the proxy. */
  readonly received: string[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly path: string,
  ) {}

  static async open(path: string, upstreamPath: string): Promise<UpstreamTap> {
    const server = createServer();
    const tap = new UpstreamTap(server, path);
    server.on("connection", (client) => tap.relay(client, upstreamPath));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, resolve);
    });
    return tap;
  }

  private relay(client: Socket, upstreamPath: string): void {
    const upstream = connect({ path: upstreamPath });
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    splitLines(
      client,
      (line) => this.sent.push(line),
      (data) => upstream.write(data),
    );
    splitLines(
      upstream,
      (line) => this.received.push(line),
      (data) => client.write(data),
    );
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.path, { force: true });
  }
}

function splitLines(socket: Socket, onLine: (line: string) => void, forward: (data: Buffer) => void): void {
  let pending = "";
  socket.on("data", (data: Buffer) => {
    forward(data);
    pending += data.toString("utf8");
    let end = pending.indexOf("\n");
    while (end >= 0) {
      const line = pending.slice(0, end).replace(/\r$/, "");
      if (line.trim() !== "") onLine(line);
      pending = pending.slice(end + 1);
      end = pending.indexOf("\n");
    }
  });
}
