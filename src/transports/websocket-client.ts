/**
 * The client side of a WebSocket, written against the standard (WHATWG) WebSocket API only, so
 * the same code runs on the `ws` package (Node 20 has no global WebSocket), on a runtime's own
 * global WebSocket, and on a test interceptor that replaces the global (msw).
 */
import { WebSocket as WsWebSocket } from "ws";
import { BaseConnection } from "./byte-connection.ts";

/** The subset of the standard WebSocket this transport relies on. */
export interface StandardWebSocket {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: never) => void, options?: { once?: boolean }): void;
  removeEventListener(type: string, listener: (event: never) => void): void;
}

type StandardWebSocketClass = new (url: string, protocols: string[]) => StandardWebSocket;

const OPEN = 1;

/** A global WebSocket wins when there is one (newer Node, or an interceptor installed in tests). */
export function webSocketClass(): StandardWebSocketClass {
  const global = (globalThis as { WebSocket?: StandardWebSocketClass }).WebSocket;
  return global ?? (WsWebSocket as unknown as StandardWebSocketClass);
}

/** Frame payloads as bytes: binary frames arrive as ArrayBuffer, text frames as strings. */
function toBuffer(data: unknown): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(String(data), "utf8");
}

export class WebSocketClientConnection extends BaseConnection {
  private failure: Error | undefined;

  constructor(
    private readonly socket: StandardWebSocket,
    description: string,
  ) {
    super(description);
    socket.addEventListener("message", (event: { data: unknown }) => this.received(toBuffer(event.data)));
    socket.addEventListener("error", (event: { message?: string; error?: unknown }) => {
      this.failure =
        event.error instanceof Error ? event.error : new Error(event.message ?? "WebSocket error");
    });
    socket.addEventListener("close", (event: { code?: number; reason?: string }) =>
      this.ended(this.failure ?? abnormalClose(event)),
    );
  }

  write(text: string): void {
    // Binary frames: QEMU's websocket channel refuses text frames.
    if (this.socket.readyState === OPEN) this.socket.send(Buffer.from(text, "utf8"));
  }

  close(): void {
    if (this.closed) return;
    this.socket.close(1000);
    // A peer that never completes the closing handshake must not keep us open (the `ws`
    // class can drop the TCP connection at once; a standard WebSocket has no such call).
    setTimeout(() => {
      (this.socket as { terminate?: () => void }).terminate?.();
      this.ended();
    }, 1000).unref();
  }
}

/** A close without the normal code is reported as a failure, with the code and reason. */
function abnormalClose(event: { code?: number; reason?: string }): Error | undefined {
  if (event.code === undefined || event.code === 1000 || event.code === 1005) return undefined;
  return new Error(`WebSocket closed with code ${event.code}${event.reason ? ` (${event.reason})` : ""}`);
}

/** Starts the opening handshake; `opened`/`failed` report its outcome exactly once. */
export function openWebSocketClient(
  url: string,
  protocol: string,
  description: string,
  outcome: { opened(connection: WebSocketClientConnection): void; failed(error: Error): void },
): () => void {
  const Socket = webSocketClass();
  const socket = new Socket(url, [protocol]);
  socket.binaryType = "arraybuffer";
  // Errors after the outcome (a late failure of a cancelled handshake) must not go unhandled.
  socket.addEventListener("error", () => {});
  const onError = (event: { message?: string; error?: unknown }) =>
    outcome.failed(
      event.error instanceof Error ? event.error : new Error(event.message ?? "WebSocket error"),
    );
  const onOpen = () => {
    socket.removeEventListener("error", onError);
    outcome.opened(new WebSocketClientConnection(socket, description));
  };
  socket.addEventListener("error", onError, { once: true });
  socket.addEventListener("open", onOpen, { once: true });
  return () => socket.close();
}
