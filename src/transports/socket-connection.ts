/** A unix or TCP socket as a ByteConnection. */
import { writeSync } from "node:fs";
import type { Socket } from "node:net";
import { BaseConnection } from "./byte-connection.ts";

export interface SocketConnectionOptions {
  /**
   * A write that finds the peer gone must not cost what it sent before it went. Node destroys a
   * socket whose write fails (EPIPE), and with it whatever the kernel still held unread: under
   * load, the MIGRATION `failed` a destination QEMU writes just before it exits was lost when a
   * poll went out first. So writes go straight to the descriptor while nothing is queued; a
   * failure there only stops writing, and the read side reports the end after the last byte.
   * For the side that connects to QEMU.
   */
  keepInputOnWriteFailure?: boolean;
}

export class SocketConnection extends BaseConnection {
  private failure: Error | undefined;
  /** The descriptor for direct writes, where the platform exposes it. */
  private readonly fd: number | undefined;
  /** A direct write failed: the peer is gone, its last bytes are still to be read. */
  private writeFailed = false;

  constructor(
    private readonly socket: Socket,
    description: string,
    options: SocketConnectionOptions = {},
  ) {
    super(description);
    if (options.keepInputOnWriteFailure) this.fd = descriptorOf(socket);
    socket.setNoDelay?.(true);
    socket.on("data", (chunk: Buffer) => this.received(chunk));
    socket.on("error", (error) => {
      this.failure = error;
    });
    socket.on("close", () => this.ended(this.failure));
  }

  write(text: string): void {
    if (this.socket.destroyed || !this.socket.writable || this.writeFailed) return;
    if (this.fd === undefined) {
      this.socket.write(text);
      return;
    }
    const rest = this.writeDirect(this.fd, Buffer.from(text, "utf8"));
    if (rest.length > 0) this.socket.write(rest);
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

  /** Writes what the descriptor takes now; returns what must wait in the socket's queue. */
  private writeDirect(fd: number, bytes: Buffer): Buffer {
    // Behind queued bytes, a direct write would overtake them.
    if (this.socket.writableLength > 0) return bytes;
    try {
      return bytes.subarray(writeSync(fd, bytes));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EAGAIN") return bytes;
      this.writeFailed = true;
      this.failure = error as Error;
      return bytes.subarray(bytes.length);
    }
  }
}

function descriptorOf(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === "number" && fd >= 0 ? fd : undefined;
}
