/**
 * A facade proxy that outlives its QEMU (issue 9, faults). One proxy generation (adapters/proxy.ts)
 * serves while QEMU's socket answers; when the connection goes, that generation ends (pending
 * calls fail with the connection error, its clients are disconnected), but the listeners stay:
 * clients that connect meanwhile are greeted and every command is refused with a clear "not
 * connected" error, and the proxy keeps trying QEMU's address until it answers, then serves a new
 * generation on the same listeners. The migration job lives in a journal between generations
 * (job-journal.ts): the next generation adopts it under the same id, or concludes it as failed
 * when the QEMU it finds has no migration (the old one died).
 */
import { QmpClient } from "../src/qmp/client.ts";
import type { QmpVersion } from "../src/qmp/protocol.ts";
import { QmpServer } from "../src/qmp/server.ts";
import { QmpCommandError, type QmpServerSession } from "../src/qmp/server-session.ts";
import { formatAddress, parseAddress, type QmpAddress } from "../src/transports/address.ts";
import type { ByteConnection } from "../src/transports/byte-connection.ts";
import type { Listener } from "../src/transports/listen.ts";
import type { JobFacadeOptions } from "./job-facade/facade.ts";
import { fileJournal, type JobJournal, memoryJournal } from "./job-facade/job-journal.ts";
import type { CommandPolicy } from "./policy/command-policy.ts";
import { type ListenerAccess, listenWithAccess } from "./policy/listener-access.ts";
import { createJobFacadeProxy, createLegacyFacadeProxy, type FacadeProxy } from "./proxy.ts";

/** The part of a proxy generation the supervisor uses. */
type Generation = Pick<FacadeProxy<unknown>, "attach" | "ended" | "close"> & { readonly facade: unknown };

export interface ReconnectingProxyOptions {
  /** QEMU's (or a job backend's) QMP address; it is dialled again whenever it goes away. */
  upstream: string | QmpAddress;
  listen?: readonly (string | QmpAddress)[];
  /** Access rules for every listener not given its own (adapters/policy/listener-access.ts). */
  access?: ListenerAccess;
  /** Which facade each generation runs; default the job facade. */
  facade?: "jobs" | "legacy";
  jobFacade?: JobFacadeOptions;
  /**
   * Where the job facade keeps its migration job between connections (job-journal.ts): a file
   * path also keeps it across a restart of the proxy; default in memory, across reconnects only.
   */
  journal?: string | JobJournal;
  /** Pause between attempts to reach QEMU; default 200 ms. */
  retryMs?: number;
  /** Where the proxy says what happened to its upstream; default stderr. */
  log?: (message: string) => void;
}

export interface ReconnectingProxy {
  listen(address: string | QmpAddress, access?: ListenerAccess): Promise<Listener>;
  /** The generation serving now, undefined while QEMU is away. */
  readonly current: Generation | undefined;
  /** How many times QEMU was reached (1 after the first connection). */
  readonly generations: number;
  /** Resolves with the generation serving now, or the next one once QEMU answers. */
  whenConnected(): Promise<Generation>;
  close(): Promise<void>;
}

export async function createReconnectingProxy(options: ReconnectingProxyOptions): Promise<ReconnectingProxy> {
  const address = typeof options.upstream === "string" ? parseAddress(options.upstream) : options.upstream;
  const where = formatAddress(address);
  const log = options.log ?? ((message: string) => process.stderr.write(`jobshim proxy: ${message}\n`));
  const retryMs = options.retryMs ?? 200;
  const journal =
    typeof options.journal === "string" ? fileJournal(options.journal) : (options.journal ?? memoryJournal());
  const listeners: Listener[] = [];
  let current: Generation | undefined;
  let generations = 0;
  let closed = false;
  let version: QmpVersion | undefined;
  let waiters: ((generation: Generation) => void)[] = [];
  let waiting: QmpServer = awayServer(where, version);

  const connectOnce = async (): Promise<Generation> => {
    const client = await QmpClient.connect(address, { timeoutMs: 5000 });
    version = client.greeting.QMP.version;
    try {
      return options.facade === "legacy"
        ? await createLegacyFacadeProxy({ upstream: client })
        : await createJobFacadeProxy({
            upstream: client,
            facade: { ...options.jobFacade, journal },
          });
    } catch (error) {
      await client.close().catch(() => undefined);
      throw error;
    }
  };

  /** Dials QEMU until it answers, then serves it until it goes, then starts over. */
  const supervise = async (): Promise<void> => {
    let lastFailure = "";
    while (!closed) {
      let generation: Generation;
      try {
        generation = await connectOnce();
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        if (why !== lastFailure) log(`QEMU at ${where} not reachable (${why}); retrying every ${retryMs} ms`);
        lastFailure = why;
        await sleep(retryMs);
        continue;
      }
      if (closed) {
        await generation.close();
        return;
      }
      lastFailure = "";
      generations++;
      current = generation;
      log(`connected to QEMU at ${where} (connection ${generations})`);
      // Clients that came while QEMU was away reconnect to a proxy that can serve them.
      const away = waiting;
      waiting = awayServer(where, version);
      await away.close();
      for (const wake of waiters.splice(0)) wake(generation);
      await generation.ended;
      current = undefined;
      if (!closed) log(`QEMU at ${where} went away; clients were disconnected, reconnecting`);
    }
  };
  const running = supervise();

  // While QEMU is away every command is refused anyway, whatever the listener's policy.
  const attach = (connection: ByteConnection, policy: CommandPolicy | undefined): QmpServerSession =>
    current ? current.attach(connection, policy) : waiting.attach(connection);

  const proxy: ReconnectingProxy = {
    get current() {
      return current;
    },
    get generations() {
      return generations;
    },
    whenConnected: () =>
      current ? Promise.resolve(current) : new Promise((resolve) => waiters.push(resolve)),
    listen: async (listenAddress, access = options.access ?? {}) => {
      const listener = await listenWithAccess(
        listenAddress,
        access,
        (connection, policy) => void attach(connection, policy),
      );
      listeners.push(listener);
      return listener;
    },
    close: async () => {
      closed = true;
      waiters = [];
      await Promise.all(listeners.splice(0).map((l) => l.close()));
      await waiting.close();
      await current?.close();
      await running;
    },
  };
  try {
    for (const listenAddress of options.listen ?? []) await proxy.listen(listenAddress);
  } catch (error) {
    await proxy.close();
    throw error;
  }
  return proxy;
}

/** Greets like the proxy would and refuses every command while QEMU is away. */
function awayServer(where: string, version: QmpVersion | undefined): QmpServer {
  return new QmpServer({
    handlers: {},
    fallback: () => () => {
      throw new QmpCommandError(
        "GenericError",
        `QEMU at ${where} is not connected; the proxy is reconnecting, try again later`,
      );
    },
    ...(version ? { version } : {}),
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
