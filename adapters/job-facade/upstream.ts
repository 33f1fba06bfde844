/**
 * The one connection a facade has to the QEMU behind it. The facade only needs to run commands
 * and hear events in order, so tests can script a fake QEMU without sockets.
 */
import type { QmpClient } from "../../src/qmp/client.ts";
import type { JsonObject, JsonValue } from "../../src/qmp/json-value.ts";
import type { QmpEvent } from "../../src/qmp/protocol.ts";
import { QmpError } from "../../src/qmp/qmp-error.ts";
import { QmpCommandError } from "../../src/qmp/server-session.ts";

export interface Upstream {
  /** `raw`: keep QEMU's text of the answer for relaying it as written (src/qmp/raw-json.ts). */
  execute(
    command: string,
    args?: JsonObject,
    options?: { oob?: boolean; raw?: boolean; descriptors?: readonly number[] },
  ): Promise<JsonValue>;
  /** Every event, in arrival order. */
  onEvent(listener: (event: QmpEvent) => void): void;
  /** The connection is gone for good (QEMU quit or was killed). */
  onClose(listener: () => void): void;
  readonly oobEnabled: boolean;
  /** Whether `execute` can send descriptors (a unix socket, addon built); absent means no. */
  readonly carriesDescriptors?: boolean;
  close(): Promise<void>;
}

/**
 * Wraps a connected QmpClient. Events reach the listeners synchronously as they are read, so
 * the facade counts an event before it sees the answer to any query sent before that event
 * (its check against stale query-migrate answers relies on it). The client's event stream
 * ending means the connection is lost for good.
 */
export function upstreamOf(client: QmpClient): Upstream {
  const eventListeners: ((event: QmpEvent) => void)[] = [];
  const closeListeners: (() => void)[] = [];
  client.onEvent((event) => {
    for (const listener of eventListeners) listener(event);
  });
  const ending = client.eventsOf(() => false);
  const waitForEnd = async () => {
    for await (const _ of ending);
    for (const listener of closeListeners) listener();
  };
  void waitForEnd();
  return {
    execute: (command, args, options) => client.execute(command, args, options),
    onEvent: (listener) => eventListeners.push(listener),
    onClose: (listener) => closeListeners.push(listener),
    get oobEnabled() {
      return client.oobEnabled;
    },
    get carriesDescriptors() {
      return client.carriesDescriptors;
    },
    close: () => client.close(),
  };
}

/** QEMU's error reaches the facade's client with its class and text unchanged. */
export function asCommandError(error: unknown): unknown {
  if (error instanceof QmpError) return new QmpCommandError(error.errorClass, error.desc);
  return error;
}

/**
 * How a client's descriptors go on: with the command, where upstream can take them. Where it
 * cannot (QEMU over TCP), the command goes without, and QEMU answers it as it answers a client
 * of a TCP monitor (`No file descriptor supplied via SCM_RIGHTS` for getfd).
 */
function forwardable(upstream: Upstream, descriptors: readonly number[] | undefined) {
  return descriptors !== undefined && upstream.carriesDescriptors === true ? descriptors : undefined;
}

/** Runs an upstream command for a client: QEMU's own error, class and text, is the answer. */
export async function relay(
  upstream: Upstream,
  command: string,
  args?: JsonObject,
  oob?: boolean,
  descriptors?: readonly number[],
): Promise<JsonValue> {
  const forwarded = forwardable(upstream, descriptors);
  try {
    if (forwarded)
      return await upstream.execute(command, args, { oob: oob === true, descriptors: forwarded });
    return await upstream.execute(command, args, oob ? { oob } : undefined);
  } catch (error) {
    throw asCommandError(error);
  }
}

const RAW = { raw: true } as const;
const RAW_OOB = { oob: true, raw: true } as const;

/**
 * A client's command passed through: QEMU's answer goes back as QEMU wrote it, bytes included
 * (no parse → re-serialise round; bench/README.md). The answer must be returned, not changed.
 */
export async function passOn(
  upstream: Upstream,
  command: string,
  args: JsonObject,
  oob: boolean,
  descriptors?: readonly number[],
): Promise<JsonValue> {
  const forwarded = forwardable(upstream, descriptors);
  try {
    if (forwarded) return await upstream.execute(command, args, { oob, raw: true, descriptors: forwarded });
    return await upstream.execute(command, args, oob ? RAW_OOB : RAW);
  } catch (error) {
    throw asCommandError(error);
  }
}
