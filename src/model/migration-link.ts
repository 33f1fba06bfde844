/**
 * How two models reach each other: an in-process registry of listening URIs (`unix:PATH`,
 * `tcp:HOST:PORT`) and a stream object between one source and one destination. No bytes flow —
 * the source's RAM counters are the stream — but both ends see the same connect, finish and cut
 * that a socket would give them, which is what the migration states depend on. Chosen over real
 * sockets so faults (a cut link, a crashed peer) are exact and instant, and the model runs where
 * sockets cannot be opened.
 */

export interface StreamEnd {
  /** The connection broke (network drop or the peer went away). */
  broken(): void;
}

export interface IncomingEndpoint {
  /** A source connected; `resume` for postcopy recovery. */
  accept(stream: MigrationStream, resume: boolean): void;
}

export class MigrationStream {
  private open = true;
  destination: StreamEnd | undefined;

  constructor(readonly source: StreamEnd) {}

  get isOpen(): boolean {
    return this.open;
  }

  /** Both ends learn that the connection is gone. */
  cut(): void {
    if (!this.open) return;
    this.open = false;
    this.source.broken();
    this.destination?.broken();
  }

  /** The migration ended normally: the connection closes without a fault. */
  finish(): void {
    this.open = false;
  }
}

export class MigrationLinks {
  private readonly listening = new Map<string, IncomingEndpoint>();

  listen(uri: string, endpoint: IncomingEndpoint): void {
    this.listening.set(canonical(uri), endpoint);
  }

  unlisten(endpoint: IncomingEndpoint): void {
    for (const [uri, e] of this.listening) if (e === endpoint) this.listening.delete(uri);
  }

  /** The endpoint listening on `uri`; it stops listening once connected, as QEMU does. */
  connect(uri: string): IncomingEndpoint | undefined {
    const endpoint = this.listening.get(canonical(uri));
    if (endpoint) this.listening.delete(canonical(uri));
    return endpoint;
  }
}

/** One registry per process unless a test brings its own. */
export const processLinks = new MigrationLinks();

const canonical = (uri: string) => uri.replace(/^tcp:localhost:/, "tcp:127.0.0.1:");

/** QEMU's `socket-address` entries for a URI the model accepts, or undefined. */
export function socketAddressOf(uri: string): { [key: string]: string }[] | undefined {
  if (uri.startsWith("unix:")) return [{ path: uri.slice(5), type: "unix" }];
  const tcp = /^tcp:(.+):(\d+)$/.exec(uri);
  if (tcp)
    return [{ port: tcp[2] as string, ipv6: "false", host: tcp[1] as string, type: "inet" }].map(
      ({ ipv6: _v6, ...rest }) => rest,
    );
  return undefined;
}
