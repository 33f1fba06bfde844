/** A unix or TCP socket as a ByteConnection. */
import type { Socket } from "node:net";
import { BaseConnection } from "./byte-connection.ts";

export class SocketConnection extends BaseConnection {
  private failure: Error | undefined;

  constructor(
    private readonly socket: Socket,
    description: string,
  ) {
    super(description);
    socket.setNoDelay?.(true);
    socket.on("data", (chunk: Buffer) => this.received(chunk));
    socket.on("error", (error) => {
      this.failure = error;
    });
    socket.on("close", () => this.ended(this.failure));
  }

  write(text: string): void {
    if (!this.socket.destroyed) this.socket.write(text);
  }

  get pendingWriteBytes(): number {
    return this.socket.writableLength;
  }

  close(): void {
    this.socket.end();
    this.socket.destroySoon?.();
    // A peer that never reads must not keep us open.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }
}
