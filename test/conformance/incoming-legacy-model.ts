/**
 * QEMU 7.2's legacy migration API on the DESTINATION (started with `-incoming defer`), as a pure
 * model of what its client sees: `migrate-incoming`, `migrate-recover`, and what the source-side
 * commands do there, the destination's statuses, MIGRATION events and query-migrate.
 *
 * Facts, each checked where it could be on the QEMU 7.2 installed here (/usr/bin, probed over QMP)
 * or else taken from 7.2's migration.c:
 *  - `migrate-incoming` announces `setup` with MIGRATION even when `events` is off, and leaves
 *    the status `none`: query-migrate answers `{socket-address}` only, no status. An unknown
 *    protocol is announced the same way, then refused (`unknown migration protocol: URI`), and
 *    may be retried; after one success every further call is refused (`The incoming migration
 *    has already been started`), even after the migration ended.
 *  - `migrate-recover` works only in postcopy-paused; it announces `setup` (ungated again) and
 *    listens anew while the status stays postcopy-paused. 7.2 has no "triggered already" check
 *    (the binary lacks that text): a second one simply listens again.
 *  - The source-side commands look at the source state, which is `none` here: `migrate_cancel`
 *    does nothing, `migrate-continue` is `Migration not in expected state: none`,
 *    `migrate-start-postcopy` asks for the capability or says the migration has not started.
 *    `migrate-pause` shuts the incoming stream in postcopy-active (the pause follows the reply).
 *    Capabilities can be set at any time (the refusal checks the source state only).
 *  - Other MIGRATION statuses only while `events` is on.
 *  - A broken precopy ends `failed` and the process exits; a broken postcopy pauses.
 *  - query-migrate: the status once it is not `none`, `socket-address` while an address is held
 *    (dropped when the migration ends), never `error-desc` (7.2's destination fills none).
 *
 * The environment (the source and the wire) is five steps: a source connects, switches to
 * postcopy, completes, the link breaks, a recovery finishes. The scripted source follows the
 * destination's postcopy agreement as the stream's advise carries it at connect time.
 */

export type IncomingCapability = "events" | "postcopy-ram";

export interface IncomingState {
  readonly status: string;
  readonly caps: Readonly<Record<IncomingCapability, boolean>>;
  /** `migrate-incoming` succeeded once (QEMU's static `once`). */
  readonly started: boolean;
  /** A listener waits for the source (after migrate-incoming or migrate-recover). */
  readonly listening: boolean;
  /** query-migrate reports a `socket-address`. */
  readonly address: boolean;
  /** The stream's advise said postcopy (decided when the source connected). */
  readonly postcopyAgreed: boolean;
  /** The process is gone (7.2 exits after a failed incoming migration). */
  readonly exited: boolean;
}

export type IncomingReply = { ok: true; value?: unknown } | { ok: false; desc: string };

/** A status QEMU announces; `ungated` ones are sent whatever `events` says. */
export interface Announced {
  status: string;
  ungated?: boolean;
}

export interface IncomingStep {
  state: IncomingState;
  reply: IncomingReply;
  announced: Announced[];
}

export const INCOMING_INITIAL: IncomingState = {
  status: "none",
  caps: { events: false, "postcopy-ram": false },
  started: false,
  listening: false,
  address: false,
  postcopyAgreed: false,
  exited: false,
};

export const URI = "tcp:127.0.0.1:4444";
export const BAD_URI = "foo:bar";
/** The listening address query-migrate shows, as 7.2 reports a TCP listener. */
export const ADDRESS = [{ port: "4444", ipv4: true, host: "127.0.0.1", type: "inet" }];
const POSTCOPY_RUNNING = ["postcopy-active", "postcopy-recover"];

const ok = (state: IncomingState, announced: Announced[] = []): IncomingStep => ({
  state,
  reply: { ok: true },
  announced,
});
const refuse = (state: IncomingState, desc: string, announced: Announced[] = []): IncomingStep => ({
  state,
  reply: { ok: false, desc },
  announced,
});
const to = (s: IncomingState, status: string, more: Partial<IncomingState> = {}): IncomingStep =>
  ok({ ...s, ...more, status }, [{ status }]);
const SETUP: Announced = { status: "setup", ungated: true };

export function migrateIncoming(s: IncomingState, uri: string): IncomingStep {
  if (s.started) return refuse(s, "The incoming migration has already been started");
  if (uri === BAD_URI) return refuse(s, `unknown migration protocol: ${uri}`, [SETUP]);
  return ok({ ...s, started: true, listening: true, address: true }, [SETUP]);
}

export function migrateRecover(s: IncomingState): IncomingStep {
  if (s.status !== "postcopy-paused")
    return refuse(s, "Migrate recover can only be run when postcopy is paused.");
  return ok({ ...s, listening: true, address: true }, [SETUP]);
}

export const cancel = (s: IncomingState): IncomingStep => ok(s);

export const continueFrom = (s: IncomingState): IncomingStep =>
  refuse(s, "Migration not in expected state: none");

export function startPostcopy(s: IncomingState): IncomingStep {
  if (!s.caps["postcopy-ram"])
    return refuse(s, "Enable postcopy with migrate_set_capability before the start of migration");
  return refuse(s, "Postcopy must be started after migration has been started");
}

export function pause(s: IncomingState): IncomingStep {
  if (s.status !== "postcopy-active")
    return refuse(s, "migrate-pause is currently only supported during postcopy-active state");
  return to(s, "postcopy-paused");
}

export const setCapability = (s: IncomingState, cap: IncomingCapability, on: boolean): IncomingStep =>
  ok({ ...s, caps: { ...s.caps, [cap]: on } });

export function queryMigrate(s: IncomingState): IncomingStep {
  const value = {
    ...(s.address ? { "socket-address": ADDRESS } : {}),
    ...(s.status === "none" ? {} : { status: s.status }),
  };
  return { state: s, reply: { ok: true, value }, announced: [] };
}

// ---- the environment

/** A source connects: a new migration, or the source resuming a paused postcopy. */
export function connect(s: IncomingState, agree = s.caps["postcopy-ram"]): IncomingStep {
  if (!s.listening) return ok(s);
  if (s.status === "none") return to(s, "active", { listening: false, postcopyAgreed: agree });
  if (s.status === "postcopy-paused") return to(s, "postcopy-recover", { listening: false });
  return ok(s);
}

/** The source switches to postcopy: the guest runs here from now on. */
export function postcopy(s: IncomingState): IncomingStep {
  if (s.status !== "active" || !s.postcopyAgreed) return ok(s);
  return to(s, "postcopy-active");
}

export function complete(s: IncomingState): IncomingStep {
  if (s.status !== "active" && s.status !== "postcopy-active") return ok(s);
  return to(s, "completed", { address: false });
}

/** The link breaks: a precopy fails and the process exits, a postcopy pauses. */
export function breakLink(s: IncomingState): IncomingStep {
  if (s.status === "active") return to(s, "failed", { exited: true });
  if (POSTCOPY_RUNNING.includes(s.status)) return to(s, "postcopy-paused");
  return ok(s);
}

/** The source finished its recovery handshake. */
export function recovered(s: IncomingState): IncomingStep {
  if (s.status !== "postcopy-recover") return ok(s);
  return to(s, "postcopy-active");
}

/**
 * The step of a destination client's migration command other than migrate-set-capabilities
 * (whose list each caller reads its own way), undefined for a command the model does not know.
 */
export function commandStep(
  s: IncomingState,
  name: string,
  args: Record<string, unknown>,
): IncomingStep | undefined {
  switch (name) {
    case "migrate-incoming":
      return migrateIncoming(s, String(args.uri));
    case "migrate-recover":
      return migrateRecover(s);
    case "migrate_cancel":
      return cancel(s);
    case "migrate-continue":
      return continueFrom(s);
    case "migrate-start-postcopy":
      return startPostcopy(s);
    case "migrate-pause":
      return pause(s);
    case "query-migrate":
      return queryMigrate(s);
    default:
      return undefined;
  }
}
