/**
 * The facades as QMP proxies: one upstream connection (QEMU for the job facade, a job backend for
 * the legacy facade), any number of clients on any transports, each negotiating on its own,
 * every event to all of them in one order. Also the in-process form of a facade: `attach`
 * serves a connection the caller already has.
 */

import { generatedArgumentValidator } from "../src/qmp/argument-validator.ts";
import { QmpClient } from "../src/qmp/client.ts";
import { QmpServer } from "../src/qmp/server.ts";
import type { QmpHandler, QmpServerSession } from "../src/qmp/server-session.ts";
import type { QmpAddress } from "../src/transports/address.ts";
import type { ByteConnection } from "../src/transports/byte-connection.ts";
import type { Listener } from "../src/transports/listen.ts";
import { JOB_FACADE_SCHEMA, LEGACY_FACADE_SCHEMA } from "./introspection/facade-schemas.ts";
import type { SchemaContribution } from "./introspection/merge-schema.ts";
import { introspectionHandlers } from "./introspection/serve-schema.ts";
import { JobFacade, type JobFacadeOptions } from "./job-facade/facade.ts";
import { type Upstream, upstreamOf } from "./job-facade/upstream.ts";
import { LegacyFacade, type LegacyFacadeOptions } from "./legacy-facade/facade.ts";
import { type CommandGate, gated, OOB_COMMANDS } from "./policy/command-gate.ts";
import type { CommandPolicy } from "./policy/command-policy.ts";
import { type ListenerAccess, listenWithAccess } from "./policy/listener-access.ts";

export interface JobFacadeProxyOptions {
  /** QEMU's QMP address, or a connected client (or any Upstream) the proxy then owns. */
  upstream: string | QmpAddress | QmpClient | Upstream;
  /** Where to serve clients; more can be added with `listen`. */
  listen?: readonly (string | QmpAddress)[];
  /** Access rules for every listener not given its own (adapters/policy/listener-access.ts). */
  access?: ListenerAccess;
  facade?: JobFacadeOptions;
}

export interface JobFacadeProxy {
  readonly facade: JobFacade;
  readonly server: QmpServer;
  readonly listeners: readonly Listener[];
  listen(address: string | QmpAddress, access?: ListenerAccess): Promise<Listener>;
  /** Serves QMP with the facade on a connection the caller opened (in-process use). */
  attach(connection: ByteConnection, policy?: CommandPolicy): QmpServerSession;
  /** Resolves when QEMU has gone and the proxy has shut down by itself. */
  readonly ended: Promise<void>;
  close(): Promise<void>;
}

export async function createJobFacadeProxy(options: JobFacadeProxyOptions): Promise<JobFacadeProxy> {
  return serveFacade(options, (upstream) => JobFacade.attach(upstream, options.facade), JOB_FACADE_SCHEMA);
}

export interface LegacyFacadeProxyOptions {
  /** The job backend's QMP address (e.g. a `--facade jobs` proxy), or a connected client. */
  upstream: string | QmpAddress | QmpClient | Upstream;
  listen?: readonly (string | QmpAddress)[];
  access?: ListenerAccess;
  facade?: LegacyFacadeOptions;
}

export type LegacyFacadeProxy = FacadeProxy<LegacyFacade>;

/** The legacy facade as a proxy: legacy migration API in front of a job backend. */
export async function createLegacyFacadeProxy(options: LegacyFacadeProxyOptions): Promise<LegacyFacadeProxy> {
  return serveFacade(
    options,
    (upstream) => LegacyFacade.attach(upstream, options.facade),
    LEGACY_FACADE_SCHEMA,
  );
}

/** What the proxy needs of a facade; both facades are one. */
interface ServedFacade {
  readonly handlers: Record<string, QmpHandler>;
  passThrough(command: string): QmpHandler;
  addClient(client: QmpServerSession): void;
  removeClient(client: QmpServerSession): void;
  settled(): Promise<void>;
  close(): void;
}

export interface FacadeProxy<F> extends Omit<JobFacadeProxy, "facade"> {
  readonly facade: F;
}

async function serveFacade<F extends ServedFacade>(
  options: {
    upstream: JobFacadeProxyOptions["upstream"];
    listen?: readonly (string | QmpAddress)[];
    access?: ListenerAccess;
  },
  attachFacade: (upstream: Upstream) => Promise<F>,
  schema: SchemaContribution,
): Promise<FacadeProxy<F>> {
  const { upstream, client } = await connectUpstream(options.upstream);
  let facade: F;
  try {
    facade = await attachFacade(upstream);
  } catch (error) {
    await upstream.close();
    throw error;
  }
  const policies = new WeakMap<QmpServerSession, CommandPolicy>();
  // The schema a client reads describes the facade too (decision 0006).
  const handlers = { ...introspectionHandlers(upstream, schema), ...facade.handlers };
  const gate: CommandGate = {
    known: await upstreamCommands(upstream, Object.keys(handlers)),
    validate: generatedArgumentValidator(),
    policyOf: (session) => policies.get(session),
  };
  const server = new QmpServer({
    handlers: gatedHandlers(handlers, gate),
    fallback: (command) => gated(command, facade.passThrough(command), gate, { own: false }),
    oobCommands: OOB_COMMANDS,
    ...(client
      ? { version: client.greeting.QMP.version, offerOob: client.greeting.QMP.capabilities.includes("oob") }
      : {}),
  });
  const listeners: Listener[] = [];
  const attach = (connection: ByteConnection, policy?: CommandPolicy): QmpServerSession => {
    const session = server.attach(alsoOnClose(connection, () => facade.removeClient(session)));
    if (policy) policies.set(session, policy);
    facade.addClient(session);
    return session;
  };
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      facade.close();
      await Promise.all(listeners.splice(0).map((l) => l.close()));
      await server.close();
      await upstream.close().catch(() => undefined);
    })();
    return closing;
  };
  const ended = new Promise<void>((resolve) =>
    upstream.onClose(() => {
      // Let clients hear how the job ended before their connections go.
      void facade.settled().then(() => setTimeout(() => void close().then(resolve), 100));
    }),
  );
  const proxy: FacadeProxy<F> = {
    facade,
    server,
    listeners,
    attach,
    ended,
    close,
    listen: async (address, access = options.access ?? {}) => {
      const listener = await listenWithAccess(
        address,
        access,
        (connection, policy) => void attach(connection, policy),
      );
      listeners.push(listener);
      return listener;
    },
  };
  try {
    for (const address of options.listen ?? []) await proxy.listen(address);
  } catch (error) {
    await close();
    throw error;
  }
  return proxy;
}

/**
 * The commands upstream offers plus the facade's own, so an unknown command is refused here
 * instead of being forwarded; undefined (nothing refused) when upstream will not say. The
 * proxy's own `query-commands` lists them all, so a proxy stacked on it knows them too.
 */
async function upstreamCommands(
  upstream: Upstream,
  own: readonly string[],
): Promise<Set<string> | undefined> {
  const listed = await upstream.execute("query-commands").catch(() => undefined);
  if (!Array.isArray(listed)) return undefined;
  const names = listed.flatMap((entry) =>
    entry && typeof entry === "object" && !Array.isArray(entry) && typeof entry.name === "string"
      ? [entry.name]
      : [],
  );
  return new Set([...names, ...own]);
}

/** A facade's own commands get the same checks: QEMU checks arguments before any command runs. */
function gatedHandlers(handlers: Record<string, QmpHandler>, gate: CommandGate): Record<string, QmpHandler> {
  const known = gate.known;
  const all: Record<string, QmpHandler> = known
    ? { "query-commands": () => [...known].map((name) => ({ name })), ...handlers }
    : { ...handlers };
  return Object.fromEntries(
    Object.entries(all).map(([name, handler]) => [name, gated(name, handler, gate, { own: true })]),
  );
}

async function connectUpstream(
  given: JobFacadeProxyOptions["upstream"],
): Promise<{ upstream: Upstream; client?: QmpClient }> {
  if (given instanceof QmpClient) return { upstream: upstreamOf(given), client: given };
  if (typeof given === "string" || "kind" in given) {
    const client = await QmpClient.connect(given);
    return { upstream: upstreamOf(client), client };
  }
  return { upstream: given };
}

/** A connection takes one close listener; the facade needs to hear about closes too. */
function alsoOnClose(connection: ByteConnection, extra: () => void): ByteConnection {
  return {
    description: connection.description,
    write: (text) => connection.write(text),
    onData: (listener) => connection.onData(listener),
    onClose: (listener) =>
      connection.onClose((error) => {
        listener(error);
        extra();
      }),
    close: () => connection.close(),
    get closed() {
      return connection.closed;
    },
    get pendingWriteBytes() {
      return connection.pendingWriteBytes;
    },
    get carriesDescriptors() {
      return connection.carriesDescriptors;
    },
    writeWithDescriptors: (text, descriptors) =>
      connection.writeWithDescriptors
        ? connection.writeWithDescriptors(text, descriptors)
        : connection.write(text),
  };
}
