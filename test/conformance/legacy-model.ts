/**
 * QEMU's legacy migration API on the source, as a pure model (reference §2, QEMU 7.2's
 * migration.c semantics, as seen by a client; or QEMU 10.0's, when the state says so): statuses, `migrate`,
 * `migrate_cancel`, `migrate-continue`, `migrate-start-postcopy`, `migrate-pause`,
 * `query-migrate`, capabilities (`events`, `postcopy-ram`, `pause-before-switchover`), and the
 * migration thread's progress and a broken link as environment events. No clock, no effects:
 * each step returns the next state, the reply and the MIGRATION statuses QEMU announces.
 *
 * It serves twice in the trace-equivalence test: as the specification the legacy client's trace
 * must equal, and as the scripted QEMU under the job facade.
 */

export type Capability = "events" | "postcopy-ram" | "pause-before-switchover";

/** Whose semantics: QEMU 7.2's (the default) or 10.0's. */
export type LegacyVersion = "7.2" | "10.0";

export interface LegacyState {
  /** Absent: 7.2. */
  readonly version?: LegacyVersion;
  readonly status: string;
  readonly caps: Readonly<Record<Capability, boolean>>;
  /** migrate-start-postcopy was asked during this migration (QEMU's start_postcopy flag). */
  readonly postcopyRequested: boolean;
  /** Where the thread goes when pre-switchover is released: device, or postcopy-active (10.0: after device). */
  readonly afterHold: string | undefined;
  readonly errorDesc: string | undefined;
}

export type Reply = { ok: true; value?: unknown } | { ok: false; desc: string };

export interface Step {
  state: LegacyState;
  reply: Reply;
  /** Statuses entered, in order (sent as MIGRATION only while capability `events` is on). */
  statuses: string[];
}

export const INITIAL: LegacyState = {
  status: "none",
  caps: { events: false, "postcopy-ram": false, "pause-before-switchover": false },
  postcopyRequested: false,
  afterHold: undefined,
  errorDesc: undefined,
};

/** A fresh QEMU of `version`. */
export const initialOf = (version: LegacyVersion): LegacyState =>
  version === "7.2" ? INITIAL : { ...INITIAL, version };

const is10 = (s: LegacyState) => s.version === "10.0";

/** QEMU's migration_is_running(). */
const RUNNING = [
  "setup",
  "active",
  "postcopy-active",
  "postcopy-paused",
  "postcopy-recover",
  "device",
  "cancelling",
  "pre-switchover",
  "wait-unplug",
  "colo",
];
const CANCELLABLE = ["setup", "active", "pre-switchover", "device", "wait-unplug"];
export const POSTCOPY = ["postcopy-active", "postcopy-paused", "postcopy-recover"];
/** 10.0's migration_in_postcopy(): migrate_cancel is refused there. */
export const IN_POSTCOPY_10 = [...POSTCOPY, "postcopy-recover-setup"];
export const CANCEL_REFUSED_IN_POSTCOPY = "Postcopy migration in progress, cannot cancel.";
/** 10.0 shuts the channel under a thread held in pre-switchover; the error stays with `cancelled`. */
export const HOLD_CANCEL_ERROR_10 = "Channel error: Input/output error";
/** The error-desc of a broken migration link, as the test's scripted link reports it. */
export const LINK_ERROR = "Unable to write to socket: Broken pipe";

export const isRunning = (s: LegacyState): boolean => RUNNING.includes(s.status);

const ok = (state: LegacyState, statuses: string[] = []): Step => ({ state, reply: { ok: true }, statuses });
const refuse = (state: LegacyState, desc: string): Step => ({
  state,
  reply: { ok: false, desc },
  statuses: [],
});
const enter = (state: LegacyState, status: string, more: Partial<LegacyState> = {}): LegacyState => ({
  ...state,
  ...more,
  status,
});

export function migrate(s: LegacyState): Step {
  if (isRunning(s)) return refuse(s, "There's a migration process in progress");
  const next = enter(s, "setup", { postcopyRequested: false, afterHold: undefined, errorDesc: undefined });
  return ok(next, ["setup"]);
}

/**
 * A silent no-op unless there is something to cancel; 7.2 obeys in postcopy too, 10.0 refuses.
 * In cancelling, QEMU sets cancelling again (its compare-and-swap succeeds on the same value) and
 * reports it again.
 */
export function cancel(s: LegacyState): Step {
  if (is10(s) && IN_POSTCOPY_10.includes(s.status)) return refuse(s, CANCEL_REFUSED_IN_POSTCOPY);
  if (s.status === "cancelling") return ok(s, ["cancelling"]);
  if (!CANCELLABLE.includes(s.status) && !POSTCOPY.includes(s.status)) return ok(s);
  const errorDesc = is10(s) && s.status === "pre-switchover" ? HOLD_CANCEL_ERROR_10 : s.errorDesc;
  return ok(enter(s, "cancelling", { errorDesc }), ["cancelling"]);
}

export function continueFrom(s: LegacyState, state: string): Step {
  if (s.status !== state) return refuse(s, `Migration not in expected state: ${s.status}`);
  // 10.0 always leaves the hold into device; afterHold is where device then goes.
  if (is10(s)) return ok(enter(s, "device"), ["device"]);
  const to = s.afterHold ?? "device";
  return ok(enter(s, to, { afterHold: undefined }), [to]);
}

export function startPostcopy(s: LegacyState): Step {
  if (!s.caps["postcopy-ram"])
    return refuse(s, "Enable postcopy with migrate_set_capability before the start of migration");
  if (s.status === "none") return refuse(s, "Postcopy must be started after migration has been started");
  return ok({ ...s, postcopyRequested: true });
}

export function pause(s: LegacyState): Step {
  if (is10(s) && s.status !== "postcopy-active" && s.status !== "postcopy-recover")
    return refuse(
      s,
      "migrate-pause is currently only supported during postcopy-active or postcopy-recover state",
    );
  if (!is10(s) && s.status !== "postcopy-active")
    return refuse(s, "migrate-pause is currently only supported during postcopy-active state");
  return ok(enter(s, "postcopy-paused"), ["postcopy-paused"]);
}

export function setCapability(s: LegacyState, cap: Capability, on: boolean): Step {
  if (isRunning(s)) return refuse(s, "There's a migration process in progress");
  return ok({ ...s, caps: { ...s.caps, [cap]: on } });
}

export function queryMigrate(s: LegacyState): Step {
  const value =
    s.status === "none" ? {} : { status: s.status, ...(s.errorDesc ? { "error-desc": s.errorDesc } : {}) };
  return { state: s, reply: { ok: true, value }, statuses: [] };
}

/** The migration thread's next step on its own (it converges at once in this model). */
export function advance(s: LegacyState): Step {
  const to = (status: string, more: Partial<LegacyState> = {}) => ok(enter(s, status, more), [status]);
  switch (s.status) {
    case "setup":
      return to("active");
    case "active": {
      const postcopy = s.postcopyRequested && s.caps["postcopy-ram"];
      if (is10(s)) {
        // 10.0: every switchover, precopy or postcopy, passes device (after the hold, if any).
        const afterHold = postcopy ? "postcopy-active" : "completed";
        return to(s.caps["pause-before-switchover"] ? "pre-switchover" : "device", { afterHold });
      }
      const after = postcopy ? "postcopy-active" : "device";
      if (s.caps["pause-before-switchover"]) return to("pre-switchover", { afterHold: after });
      return to(postcopy ? "postcopy-active" : "completed");
    }
    case "device":
      if (is10(s)) return to(s.afterHold ?? "completed", { afterHold: undefined });
      return to("completed");
    case "postcopy-active":
      return to("completed");
    case "cancelling":
      return to("cancelled");
    default:
      return ok(s);
  }
}

/** The migration link breaks: a precopy fails, a postcopy pauses. */
export function breakLink(s: LegacyState): Step {
  if (s.status === "postcopy-active") return ok(enter(s, "postcopy-paused"), ["postcopy-paused"]);
  if (!CANCELLABLE.includes(s.status)) return ok(s);
  return ok(enter(s, "failed", { errorDesc: LINK_ERROR }), ["failed"]);
}

const CAPABILITIES: readonly Capability[] = ["events", "postcopy-ram", "pause-before-switchover"];

/**
 * The step for a migration command the model covers (undefined for any other): what both the
 * scripted QEMU and the spec traces run.
 */
export function commandStep(s: LegacyState, name: string, args: Record<string, unknown>): Step | undefined {
  switch (name) {
    case "migrate":
      return migrate(s);
    case "migrate_cancel":
      return cancel(s);
    case "migrate-continue":
      return continueFrom(s, String(args.state));
    case "migrate-start-postcopy":
      return startPostcopy(s);
    case "migrate-pause":
      return pause(s);
    case "query-migrate":
      return queryMigrate(s);
    case "migrate-set-capabilities":
      return setCapabilities(s, args.capabilities);
    default:
      return undefined;
  }
}

/** All or nothing, as QEMU checks the whole list before it sets any; other capabilities are not modelled. */
function setCapabilities(s: LegacyState, list: unknown): Step {
  let step: Step = { state: s, reply: { ok: true, value: {} }, statuses: [] };
  for (const entry of Array.isArray(list) ? list : []) {
    const { capability, state } = entry as { capability: Capability; state: boolean };
    if (!CAPABILITIES.includes(capability)) continue;
    step = setCapability(step.state, capability, state);
    if (!step.reply.ok) return { ...step, state: s };
  }
  return step;
}
