/**
 * Who may reach a listener. A unix socket gets a file mode (0600 by default: only its owner);
 * TCP and WebSocket listeners bind loopback addresses only, unless remote access is asked for
 * in so many words, because QMP has no authentication of its own.
 */
import { chmodSync } from "node:fs";
import { isIP } from "node:net";
import { formatAddress, parseAddress, type QmpAddress } from "../../src/transports/address.ts";
import type { ByteConnection } from "../../src/transports/byte-connection.ts";
import { type Listener, listenTransport } from "../../src/transports/listen.ts";
import type { CommandPolicy } from "./command-policy.ts";

export interface ListenerAccess {
  /** File mode of a unix socket; 0o600 when not given. */
  socketMode?: number;
  /** Let TCP and WebSocket listeners bind non-loopback addresses. */
  allowRemote?: boolean;
  /** Commands this listener's clients may run; all when not given. */
  policy?: CommandPolicy;
}

export const DEFAULT_SOCKET_MODE = 0o600;

export class AccessError extends Error {
  override name = "AccessError";
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.toLowerCase();
  if (bare === "localhost" || bare === "::1") return true;
  const v4 = bare.startsWith("::ffff:") ? bare.slice("::ffff:".length) : bare;
  return isIP(v4) === 4 && v4.startsWith("127.");
}

/** Refuses a remote bind the user did not allow; says how to allow it. */
export function checkBind(address: QmpAddress, access: ListenerAccess): void {
  if (address.kind === "unix" || access.allowRemote || isLoopbackHost(address.host)) return;
  throw new AccessError(
    `refusing to listen on ${formatAddress(address)}: '${address.host}' is not a loopback address and QMP has no authentication; pass --allow-remote to accept clients from other hosts`,
  );
}

/** `--socket-mode 0660` (octal, as chmod takes it). */
export function parseSocketMode(text: string): number {
  if (!/^0?[0-7]{3}$/.test(text))
    throw new AccessError(`invalid --socket-mode '${text}': give an octal file mode such as 0600 or 0660`);
  return Number.parseInt(text, 8);
}

/**
 * Opens a listener under these rules; `accept` gets each connection with the listener's policy.
 * Every proxy front end listens through here, so none can skip a rule.
 */
export async function listenWithAccess(
  where: QmpAddress | string,
  access: ListenerAccess,
  accept: (connection: ByteConnection, policy: CommandPolicy | undefined) => void,
): Promise<Listener> {
  const address = typeof where === "string" ? parseAddress(where) : where;
  checkBind(address, access);
  const listener = await listenTransport(address, (connection) => accept(connection, access.policy));
  try {
    if (address.kind === "unix") chmodSync(address.path, access.socketMode ?? DEFAULT_SOCKET_MODE);
  } catch (error) {
    await listener.close();
    throw error;
  }
  return listener;
}
