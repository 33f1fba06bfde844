/**
 * Test-only: a scripted QMP peer behind msw's WebSocket interception. msw intercepts only the
 * global `WebSocket` (it proxies `globalThis.WebSocket`; it never sees the `ws` package's own
 * sockets). Node 20 has no global WebSocket, so one is installed first — the `ws` class, which
 * msw then wraps; jobshim's client picks the global up (src/transports/websocket-client.ts).
 */
import { ws } from "msw";
import { type SetupServer, setupServer } from "msw/node";
import { WebSocket as WsWebSocket } from "ws";

export const GREETING = `${JSON.stringify({
  QMP: { version: { qemu: { micro: 0, minor: 2, major: 7 }, package: "msw" }, capabilities: [] },
})}\r\n`;

/** What the test's scripted server sees of one client connection. */
export interface ScriptedClient {
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  /** Every request received so far, parsed. */
  readonly requests: { execute?: string; id?: unknown; arguments?: unknown }[];
  /** Resolves with the next request (after those already read through this function). */
  nextRequest(): Promise<{ execute?: string; id?: unknown }>;
}

export type Script = (client: ScriptedClient) => void;

async function frameText(data: unknown): Promise<string> {
  if (typeof data === "string") return data;
  if (data instanceof Blob) return data.text();
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString();
  return String(data);
}

/** Requests are sent one per frame by jobshim's client, each a JSON object plus newline. */
function scripted(client: {
  send(data: string | ArrayBuffer | Blob | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
}): ScriptedClient {
  const requests: ScriptedClient["requests"] = [];
  const waiting: ((request: { execute?: string; id?: unknown }) => void)[] = [];
  let read = 0;
  client.addEventListener("message", (event) => {
    void frameText(event.data).then((text) => {
      for (const line of text.split("\n").filter((l) => l.trim())) requests.push(JSON.parse(line));
      while (waiting.length && read < requests.length) waiting.shift()?.(requests[read++] ?? {});
    });
  });
  return {
    send: (data) => client.send(typeof data === "string" ? data : new Uint8Array(data)),
    close: (code, reason) => client.close(code, reason),
    requests,
    nextRequest: () =>
      read < requests.length
        ? Promise.resolve(requests[read++] ?? {})
        : new Promise((resolve) => waiting.push(resolve)),
  };
}

/** Installs a global WebSocket if the runtime has none, starts msw, and returns how to script it. */
export function startMswQmp(url: string): {
  server: SetupServer;
  serve(script: Script): void;
  stop(): void;
} {
  const hadGlobal = "WebSocket" in globalThis;
  if (!hadGlobal)
    Object.defineProperty(globalThis, "WebSocket", {
      value: WsWebSocket,
      configurable: true,
      writable: true,
    });
  const link = ws.link(url);
  const server = setupServer();
  server.listen({ onUnhandledRequest: "error" });
  return {
    server,
    serve: (script) =>
      server.use(link.addEventListener("connection", ({ client }) => script(scripted(client)))),
    stop: () => {
      server.close();
      if (!hadGlobal) Reflect.deleteProperty(globalThis, "WebSocket");
    },
  };
}

/** The reply QEMU would send for a request, as bytes on the wire. */
export function reply(id: unknown, value: unknown = {}): string {
  return `${JSON.stringify({ return: value, id })}\r\n`;
}
