/**
 * A WebSocket as a ByteConnection. Frames are stream chunks, as QEMU's websocket chardev treats
 * them; we send binary frames, as QEMU does, and accept text frames too.
 */
import type { RawData, WebSocket } from "ws";
import { BaseConnection } from "./byte-connection.ts";

/** QEMU's websocket server insists the client offers this subprotocol. */
export const QMP_WS_PROTOCOL = "binary";

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export class WebSocketConnection extends BaseConnection {
  private failure: Error | undefined;

  constructor(
    private readonly socket: WebSocket,
    description: string,
  ) {
    super(description);
    socket.on("message", (data: RawData) => this.received(toBuffer(data)));
    socket.on("error", (error) => {
      this.failure = error;
    });
    socket.on("close", () => this.ended(this.failure));
  }

  write(text: string): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(Buffer.from(text, "utf8"));
  }

  get pendingWriteBytes(): number {
    return this.socket.bufferedAmount;
  }

  close(): void {
    this.socket.close();
    setTimeout(() => this.socket.terminate(), 1000).unref();
  }
}
