/** Opens the client side of any supported transport. */
import { connect as netConnect, type Socket } from "node:net";
import { formatAddress, type QmpAddress } from "./address.ts";
import type { ByteConnection } from "./byte-connection.ts";
import { SocketConnection } from "./socket-connection.ts";
import { openWebSocketClient } from "./websocket-client.ts";
import { QMP_WS_PROTOCOL } from "./websocket-connection.ts";

export interface ConnectOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

function connectSocket(address: QmpAddress & { kind: "unix" | "tcp" }): Socket {
  return address.kind === "unix"
    ? netConnect({ path: address.path })
    : netConnect({ host: address.host, port: address.port });
}

function openSocket(address: QmpAddress & { kind: "unix" | "tcp" }, settle: Settle): void {
  const socket = connectSocket(address);
  const onError = (error: Error) => settle.fail(error, () => socket.destroy());
  socket.once("error", onError);
  socket.once("connect", () => {
    socket.off("error", onError);
    const options = { keepInputOnWriteFailure: true, unix: address.kind === "unix" };
    settle.done(new SocketConnection(socket, formatAddress(address), options), () => socket.destroy());
  });
  settle.onCancel(() => socket.destroy());
}

function openWebSocket(address: QmpAddress & { kind: "ws" }, settle: Settle): void {
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  const url = `ws://${host}:${address.port}${address.path}`;
  let cancel = () => {};
  cancel = openWebSocketClient(url, QMP_WS_PROTOCOL, formatAddress(address), {
    opened: (connection) => settle.done(connection, () => connection.close()),
    failed: (error) => settle.fail(error, () => cancel()),
  });
  settle.onCancel(() => cancel());
}

interface Settle {
  done(connection: ByteConnection, undo: () => void): void;
  fail(error: Error, undo: () => void): void;
  onCancel(cancel: () => void): void;
}

export function connectTransport(address: QmpAddress, options: ConnectOptions = {}): Promise<ByteConnection> {
  const where = formatAddress(address);
  return new Promise((resolve, reject) => {
    let settled = false;
    let cancel = () => {};
    const finish = () => {
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    };
    const settle: Settle = {
      done: (connection, undo) => {
        if (settled) return undo();
        finish();
        resolve(connection);
      },
      fail: (error, undo) => {
        undo();
        if (settled) return;
        finish();
        reject(new Error(`cannot connect to ${where}: ${error.message}`, { cause: error }));
      },
      onCancel: (fn) => {
        cancel = fn;
      },
    };
    const giveUp = (why: string) => {
      if (settled) return;
      finish();
      cancel();
      reject(new Error(`cannot connect to ${where}: ${why}`));
    };
    const onAbort = () => giveUp("aborted");
    const timer = options.timeoutMs
      ? setTimeout(() => giveUp(`no connection within ${options.timeoutMs} ms`), options.timeoutMs)
      : undefined;
    if (options.signal?.aborted) return giveUp("aborted");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (address.kind === "ws") openWebSocket(address, settle);
    else openSocket(address, settle);
  });
}
