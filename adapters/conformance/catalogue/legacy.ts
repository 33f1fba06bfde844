/**
 * The legacy equivalence catalogue: scenarios a legacy migration client (libvirt, a script using
 * `migrate` / `query-migrate`) runs, written as data so any pair of QMP servers can be held to
 * the same trace — QEMU itself, the legacy facade over the job facade over QEMU, the embedded
 * model. `../run-legacy-scenario.ts` executes them; the conformance suite grows this list.
 *
 * Placeholders in arguments: "$uri" is the migration URI the destination listens on.
 */
import type { JsonObject } from "../../../src/qmp/json-value.ts";
import type { Side } from "../trace-recorder.ts";

export type Step =
  /** A command the legacy client sends; its reply (or error) is part of the trace. */
  | { run: string; on?: Side; args?: JsonObject }
  /**
   * Wait, off the record, until query-migrate on that side reports one of these statuses;
   * "gone" is met when the server closes the connection (QEMU 7.2's destination exits when
   * an incoming migration fails).
   */
  | { waitFor: string[]; on?: Side; timeoutMs?: number }
  /** A query-migrate snapshot recorded under this label. */
  | { checkpoint: string; on?: Side }
  | { sleepMs: number }
  /** Kill the destination process (a crash, as far as the source can tell). */
  | { kill: "destination" };

export interface LegacyScenario {
  name: string;
  tags: string[];
  /** What it shows and why it is in the catalogue. */
  doc: string;
  steps: Step[];
  /**
   * Statuses whose MIGRATION events and snapshots may be present in one run and absent in
   * another because QEMU may pass them before a command lands (e.g. `active` when a cancel is
   * sent in `setup`). Only events with these statuses are dropped, and only in this scenario.
   */
  racyStatuses?: string[];
  /**
   * Statuses QEMU may report a second time without a change in between, where a facade reports
   * the change once: only their first MIGRATION event is compared (see trace-normalise.ts).
   */
  repeatedStatuses?: string[];
  /**
   * Commands whose reply may come before or after events QEMU's migration thread sends at the
   * same time (seen both ways on 7.2): their replies are compared, their position is not.
   */
  racyReplies?: string[];
  /** The destination QEMU is started with `-incoming URI` (on "$uri") instead of `defer`. */
  listenAtStart?: boolean;
}

/** 48 MiB of random guest RAM at 24 MiB/s: about two seconds of precopy. */
export const BANDWIDTH = 24 * 1024 * 1024;

const eventsOn = (side: Side, extra: Record<string, boolean> = {}): Step => ({
  run: "migrate-set-capabilities",
  on: side,
  args: {
    capabilities: Object.entries({ events: true, ...extra }).map(([capability, state]) => ({
      capability,
      state,
    })),
  },
});

const listen: Step = { run: "migrate-incoming", on: "destination", args: { uri: "$uri" } };
const slow: Step = { run: "migrate-set-parameters", args: { "max-bandwidth": BANDWIDTH } };
const migrate: Step = { run: "migrate", args: { uri: "$uri" } };
const bothEvents = (source: Record<string, boolean> = {}, destination: Record<string, boolean> = {}) => [
  eventsOn("source", source),
  eventsOn("destination", destination),
];
const end = (sourceStatus: string, destinationStatus: string): Step[] => [
  { waitFor: [sourceStatus] },
  { waitFor: [destinationStatus], on: "destination" },
  { checkpoint: "end" },
  ...(destinationStatus === "gone" ? [] : [{ checkpoint: "end", on: "destination" } as const]),
];

export const LEGACY_CATALOGUE: readonly LegacyScenario[] = [
  {
    name: "plain-migration",
    tags: ["precopy", "events"],
    doc: "A precopy migration that completes on its own; both sides report events.",
    steps: [...bothEvents(), listen, slow, migrate, ...end("completed", "completed")],
  },
  {
    name: "pause-before-switchover",
    tags: ["precopy", "events", "switchover"],
    doc:
      "pause-before-switchover holds the source in pre-switchover; migrate-continue with a wrong " +
      "state is refused with QEMU's text, with the right state it completes. The woken migration " +
      "thread may report `device` and `completed` before the main thread's reply to " +
      "migrate-continue (seen on 7.2 under load), so that reply's place is not compared.",
    racyReplies: ["migrate-continue"],
    steps: [
      ...bothEvents({ "pause-before-switchover": true }),
      listen,
      slow,
      migrate,
      { waitFor: ["pre-switchover"] },
      { checkpoint: "held" },
      { run: "migrate-continue", args: { state: "active" } },
      { run: "migrate-continue", args: { state: "pre-switchover" } },
      ...end("completed", "completed"),
    ],
  },
  {
    name: "cancel-in-setup",
    tags: ["precopy", "events", "cancel"],
    doc:
      "migrate_cancel sent right after migrate. QEMU 7.2 leaves setup within milliseconds, so " +
      "the cancel may land in setup or in active: `active` is racy here.",
    racyStatuses: ["active"],
    steps: [...bothEvents(), listen, slow, migrate, { run: "migrate_cancel" }, ...end("cancelled", "gone")],
  },
  {
    name: "cancel-in-active",
    tags: ["precopy", "events", "cancel"],
    doc: "migrate_cancel while RAM is being copied: source cancelled, destination failed.",
    steps: [
      ...bothEvents(),
      listen,
      slow,
      migrate,
      { waitFor: ["active"] },
      { sleepMs: 300 },
      { run: "migrate_cancel" },
      ...end("cancelled", "gone"),
    ],
  },
  {
    name: "cancel-in-pre-switchover",
    tags: ["precopy", "events", "cancel", "switchover"],
    doc:
      "migrate_cancel while held before switchover. QEMU 7.2's cancel races the woken migration " +
      "thread: `device` appears or not (migrate_fd_cancel's CAS loop), and the reply comes " +
      "before or after the thread's RESUME and `cancelled`.",
    racyStatuses: ["device"],
    racyReplies: ["migrate_cancel"],
    steps: [
      ...bothEvents({ "pause-before-switchover": true }),
      listen,
      slow,
      migrate,
      { waitFor: ["pre-switchover"] },
      { run: "migrate_cancel" },
      ...end("cancelled", "gone"),
    ],
  },
  {
    name: "cancel-without-migration",
    tags: ["cancel", "idle"],
    doc: "migrate_cancel with no migration ever started succeeds and changes nothing.",
    steps: [
      eventsOn("source"),
      { checkpoint: "before" },
      { run: "migrate_cancel" },
      { checkpoint: "after" },
      { sleepMs: 200 },
    ],
  },
  {
    name: "cancel-after-completion",
    tags: ["precopy", "events", "cancel"],
    doc:
      "migrate_cancel after the migration completed succeeds silently; query-migrate keeps " +
      "reporting completed.",
    steps: [
      ...bothEvents(),
      listen,
      slow,
      migrate,
      ...end("completed", "completed"),
      { run: "migrate_cancel" },
      { sleepMs: 200 },
      { checkpoint: "after-cancel" },
    ],
  },
  {
    name: "postcopy",
    tags: ["postcopy", "events"],
    doc: "postcopy-ram on both sides, migrate-start-postcopy while active; both sides complete.",
    steps: [
      ...bothEvents({ "postcopy-ram": true }, { "postcopy-ram": true }),
      listen,
      slow,
      migrate,
      { waitFor: ["active"] },
      { sleepMs: 300 },
      { run: "migrate-start-postcopy" },
      ...end("completed", "completed"),
    ],
  },
  {
    name: "destination-failure",
    tags: ["precopy", "events", "fault"],
    doc: "The destination QEMU dies mid-copy: the source fails with QEMU's error-desc.",
    steps: [
      ...bothEvents(),
      listen,
      slow,
      migrate,
      { waitFor: ["active"] },
      { sleepMs: 300 },
      { kill: "destination" },
      { waitFor: ["failed"] },
      { checkpoint: "end" },
    ],
  },
  {
    name: "second-migrate-refused",
    tags: ["precopy", "events", "errors"],
    doc: "A second migrate while one runs is refused with QEMU's text; the first one goes on.",
    steps: [
      ...bothEvents(),
      listen,
      slow,
      migrate,
      { waitFor: ["active"] },
      migrate,
      { run: "migrate-set-capabilities", args: { capabilities: [{ capability: "events", state: false }] } },
      ...end("completed", "completed"),
    ],
  },
  {
    name: "events-off",
    tags: ["precopy", "no-events"],
    doc: "Nobody enabled the events capability: the client sees no MIGRATION or MIGRATION_PASS.",
    steps: [listen, slow, migrate, ...end("completed", "completed"), { run: "query-migrate-capabilities" }],
  },
];

export function scenarioNamed(name: string): LegacyScenario {
  const found = LEGACY_CATALOGUE.find((s) => s.name === name);
  if (!found) throw new Error(`no legacy scenario named '${name}'`);
  return found;
}
