/**
 * Connecting the CLI to a QMP monitor with failures a user can act on: a malformed address is a
 * usage error, and anything else that stops the handshake is a connection error. QEMU's `-qmp`
 * socket serves one client at a time and greets the next only when the first leaves, so a
 * missing greeting most often means another client holds the monitor: the message says so.
 */
import { connectQmp, type QmpClient } from "../src/qmp/client.ts";
import { QmpConnectionError } from "../src/qmp/qmp-error.ts";
import { AddressError, parseAddress } from "../src/transports/address.ts";
import { UsageError } from "./exit-codes.ts";

export const ONE_CLIENT_HINT =
  "QEMU's -qmp socket serves one client at a time; is another client (libvirt, qmp-shell, a jobshim proxy) connected to it?";

export function checkAddress(address: string, what = "ADDRESS"): void {
  try {
    parseAddress(address);
  } catch (error) {
    if (error instanceof AddressError) throw new UsageError(`${what}: ${error.message}`);
    throw error;
  }
}

export async function connectMonitor(address: string, timeoutMs: number): Promise<QmpClient> {
  checkAddress(address);
  try {
    return await connectQmp(address, { timeoutMs });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new QmpConnectionError(explainHandshake(message), { cause: error });
  }
}

/** Adds the one-client hint to a handshake that got no greeting. */
export function explainHandshake(message: string): string {
  return /no QMP greeting/.test(message) ? `${message}: ${ONE_CLIENT_HINT}` : message;
}
