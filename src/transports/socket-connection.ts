/** A unix or TCP socket as a ByteConnection. */
import { readSync } from "node:fs";
import type { Socket } from "node:net";
import { BaseConnection } from "./byte-connection.ts";

export interface SocketConnectionOptions {
  /**
   * A write that finds the peer gone must not cost what it sent before it went. Node destroys a
   * socket whose write fails (EPIPE), closing the descriptor with whatever the kernel still held
   * unread: under load, the MIGRATION `failed` a destination QEMU writes just before it exits was
   * lost when a poll went out first. With this, a socket destroyed by an error first reads what
   * is left, and it reaches the listener before the close. For the side that connects to QEMU.
   */
  keepInputOnWriteFailure?: boolean;
}

type DestroyHook = (error: Error | null, callback: (error?: Error | null) => void) => void;

export class SocketConnection extends BaseConnection {
  private failure: Error | undefined;

  constructor(
    private readonly socket: Socket,
    description: string,
    options: SocketConnectionOptions = {},
  ) {
    super(description);
    if (options.keepInputOnWriteFailure) this.readLastBytesOnFailure();
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

  /**
   * Hooks the socket's `_destroy` (the stream implementer's method, called by `destroy()` before
   * the descriptor is closed): only the failure path pays; the write path stays Node's own.
   */
  private readLastBytesOnFailure(): void {
    const fd = descriptorOf(this.socket);
    if (fd === undefined) return;
    const hooked = this.socket as unknown as { _destroy: DestroyHook };
    const destroy = hooked._destroy.bind(this.socket);
    hooked._destroy = (error, callback) => {
      if (error) this.drain(fd);
      destroy(error, callback);
    };
  }

  /** Reads what the kernel still holds, until it has no more (EAGAIN) or the peer's end. */
  private drain(fd: number): void {
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      let count: number;
      try {
        count = readSync(fd, buffer, 0, buffer.length, null);
      } catch {
        return;
      }
      if (count <= 0) return;
      this.received(Buffer.from(buffer.subarray(0, count)));
    }
  }
}

function descriptorOf(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === "number" && fd >= 0 ? fd : undefined;
}
