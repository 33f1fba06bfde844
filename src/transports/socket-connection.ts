/** A unix or TCP socket as a ByteConnection. */
import { readSync } from "node:fs";
import type { Socket } from "node:net";
import { BaseConnection } from "./byte-connection.ts";
import { closeDescriptors, type FdPassingAddon, fdPassingAddon } from "./fd-passing.ts";

export interface SocketConnectionOptions {
  /**
   * A write that finds the peer gone must not cost what it sent before it went. Node destroys a
   * socket whose write fails (EPIPE), closing the descriptor with whatever the kernel still held
   * unread: under load, the MIGRATION `failed` a destination QEMU writes just before it exits was
   * lost when a poll went out first. With this, a socket destroyed by an error first reads what
   * is left, and it reaches the listener before the close. For the side that connects to QEMU.
   */
  keepInputOnWriteFailure?: boolean;
  /**
   * Read the socket with recvmsg (the addon) instead of Node, so descriptors that clients send
   * (SCM_RIGHTS) reach the data listener with the bytes they came with; Node would read with
   * read(2), and the kernel would close them. For unix sockets created paused (`pauseOnConnect`):
   * Node must never read them.
   */
  receiveDescriptors?: boolean;
  /** A unix socket: one that can carry descriptors. */
  unix?: boolean;
}

type DestroyHook = (error: Error | null, callback: (error?: Error | null) => void) => void;

const EAGAIN = 11;

/** A write waiting behind Node's queue (or a full socket) so that it keeps its place. */
interface QueuedWrite {
  bytes: Buffer;
  descriptors: number[] | undefined;
}

export class SocketConnection extends BaseConnection {
  private failure: Error | undefined;
  /** Writes after a descriptor-carrying one that had to wait; empty on the hot path. */
  private queued: QueuedWrite[] = [];
  private retry: NodeJS.Timeout | undefined;
  private watcher: unknown;
  private readonly unix: boolean;

  constructor(
    private readonly socket: Socket,
    description: string,
    options: SocketConnectionOptions = {},
  ) {
    super(description);
    this.unix = options.unix === true;
    if (options.keepInputOnWriteFailure) this.readLastBytesOnFailure();
    socket.setNoDelay?.(true);
    const fd = descriptorOf(socket);
    if (options.receiveDescriptors && fdPassingAddon && fd !== undefined)
      this.watcher = fdPassingAddon.watch(fd, (chunk, descriptors, errno) =>
        this.receivedMessage(chunk, descriptors, errno),
      );
    else socket.on("data", (chunk: Buffer) => this.received(chunk));
    socket.on("error", (error) => {
      this.failure = error;
    });
    socket.on("close", () => this.closedSocket());
  }

  get carriesDescriptors(): boolean {
    return this.unix && fdPassingAddon !== undefined && descriptorOf(this.socket) !== undefined;
  }

  write(text: string): void {
    if (this.queued.length > 0)
      this.queued.push({ bytes: Buffer.from(text, "utf8"), descriptors: undefined });
    else if (!this.socket.destroyed) this.socket.write(text);
  }

  writeWithDescriptors(text: string, descriptors: number[]): void {
    const addon = fdPassingAddon;
    if (!addon || !this.unix || this.socket.destroyed || descriptorOf(this.socket) === undefined) {
      closeDescriptors(descriptors);
      if (!this.socket.destroyed) this.socket.write(text);
      return;
    }
    this.queued.push({ bytes: Buffer.from(text, "utf8"), descriptors });
    this.flush(addon);
  }

  get pendingWriteBytes(): number {
    const length = this.socket.writableLength;
    return this.queued.length === 0
      ? length
      : this.queued.reduce((sum, write) => sum + write.bytes.length, length);
  }

  close(): void {
    this.socket.end();
    this.socket.destroySoon?.();
    // A peer that never reads must not keep us open.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /**
   * Sends the queue in order. A descriptor-carrying write goes out by sendmsg only once Node's
   * own queue is empty (else it would overtake it); what sendmsg could not take goes on through
   * Node (the descriptors went with the first byte).
   */
  private flush(addon: FdPassingAddon): void {
    while (this.queued.length > 0 && !this.socket.destroyed) {
      const next = this.queued[0] as QueuedWrite;
      if (next.descriptors === undefined) {
        this.queued.shift();
        this.socket.write(next.bytes);
        continue;
      }
      if (this.socket.writableLength > 0) return void this.socket.once("drain", () => this.flush(addon));
      const fd = descriptorOf(this.socket);
      const sent = fd === undefined ? -EAGAIN : addon.send(fd, next.bytes, next.descriptors);
      if (sent === -EAGAIN) {
        // The peer is not reading; Node has no write of its own pending to tell us when it does.
        this.retry ??= setTimeout(() => {
          this.retry = undefined;
          this.flush(addon);
        }, 5);
        return;
      }
      this.queued.shift();
      closeDescriptors(next.descriptors);
      if (sent < 0) {
        this.socket.destroy(new Error(`sendmsg on ${this.description} failed (errno ${-sent})`));
        return;
      }
      if (sent < next.bytes.length) this.socket.write(next.bytes.subarray(sent));
    }
  }

  private receivedMessage(chunk: Buffer | null, descriptors: number[] | undefined, errno: number): void {
    if (chunk !== null) {
      if (this.closed) closeDescriptors(descriptors ?? []);
      else this.received(chunk, descriptors);
      return;
    }
    // Node does not read this socket, so it learns of the peer's end or failure from us. At the
    // end, what is already written still goes out, as Node does for a socket it reads itself.
    this.stopWatching();
    if (errno === 0) this.socket.destroySoon();
    else this.socket.destroy(new Error(`reading ${this.description} failed (errno ${errno})`));
  }

  private closedSocket(): void {
    this.stopWatching();
    clearTimeout(this.retry);
    for (const write of this.queued.splice(0)) if (write.descriptors) closeDescriptors(write.descriptors);
    this.ended(this.failure);
  }

  private stopWatching(): void {
    if (this.watcher === undefined) return;
    fdPassingAddon?.unwatch(this.watcher);
    this.watcher = undefined;
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
