/**
 * Opens the server side of any supported transport. Unix sockets get mode 0600 so only their
 * owner can drive the VM; a stale socket file left by a dead server is replaced, as QEMU does.
 */
import { chmodSync, lstatSync, unlinkSync } from "node:fs";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { WebSocketServer } from "ws";
import { formatAddress, type QmpAddress } from "./address.ts";
import type { ByteConnection } from "./byte-connection.ts";
import { fdPassingAddon, warnDescriptorPassingUnavailable } from "./fd-passing.ts";
import { SocketConnection } from "./socket-connection.ts";
import { QMP_WS_PROTOCOL, WebSocketConnection } from "./websocket-connection.ts";

export interface Listener {
  /** Where it actually listens (port 0 resolved to the chosen port). */
  readonly address: QmpAddress;
  close(): Promise<void>;
}

function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Nothing there: fine.
  }
}

function listenNet(address: QmpAddress & { kind: "unix" | "tcp" }, accept: (c: ByteConnection) => void) {
  const sockets = new Set<Socket>();
  const unix = address.kind === "unix";
  // Clients of a unix listener may send descriptors: the addon reads those sockets, never Node.
  const receiveDescriptors = unix && fdPassingAddon !== undefined;
  if (unix && !receiveDescriptors) warnDescriptorPassingUnavailable(formatAddress(address));
  const server: Server = createServer({ pauseOnConnect: receiveDescriptors }, (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    accept(new SocketConnection(socket, `client of ${formatAddress(address)}`, { receiveDescriptors, unix }));
  });
  return new Promise<Listener>((resolve, reject) => {
    server.once("error", reject);
    const ready = () => {
      server.off("error", reject);
      let actual: QmpAddress = address;
      if (address.kind === "unix") chmodSync(address.path, 0o600);
      else actual = { ...address, port: (server.address() as AddressInfo).port };
      resolve({ address: actual, close: () => closeNet(server, sockets, address) });
    };
    if (address.kind === "unix") {
      removeStaleSocket(address.path);
      server.listen(address.path, ready);
    } else server.listen(address.port, address.host, ready);
  });
}

function closeNet(server: Server, sockets: Set<Socket>, address: QmpAddress): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
    if (address.kind === "unix") removeStaleSocket(address.path);
  });
}

function listenWebSocket(address: QmpAddress & { kind: "ws" }, accept: (c: ByteConnection) => void) {
  const server = new WebSocketServer({
    host: address.host,
    port: address.port,
    path: address.path === "/" ? undefined : address.path,
    perMessageDeflate: false,
    handleProtocols: (offered) => (offered.has(QMP_WS_PROTOCOL) ? QMP_WS_PROTOCOL : false),
  });
  server.on("connection", (socket) =>
    accept(new WebSocketConnection(socket, `client of ${formatAddress(address)}`)),
  );
  return new Promise<Listener>((resolve, reject) => {
    server.once("error", reject);
    server.once("listening", () => {
      server.off("error", reject);
      const port = (server.address() as AddressInfo).port;
      const close = () =>
        new Promise<void>((done) => {
          for (const client of server.clients) client.terminate();
          server.close(() => done());
        });
      resolve({ address: { ...address, port }, close });
    });
  });
}

export function listenTransport(
  address: QmpAddress,
  accept: (connection: ByteConnection) => void,
): Promise<Listener> {
  return address.kind === "ws" ? listenWebSocket(address, accept) : listenNet(address, accept);
}
