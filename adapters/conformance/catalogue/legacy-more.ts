/**
 * Legacy scenarios beyond the equivalence catalogue of legacy.ts (which other test suites run
 * against the embedded model too): more cancels after each status, and postcopy pause and
 * recovery. Like those, each is held to QEMU's own trace of the same steps.
 */
import { BANDWIDTH, type LegacyScenario, type Step } from "./legacy.ts";

const eventsOn = (on: "source" | "destination", extra: string[] = []): Step => ({
  run: "migrate-set-capabilities",
  on,
  args: { capabilities: ["events", ...extra].map((capability) => ({ capability, state: true })) },
});
const listen: Step = { run: "migrate-incoming", on: "destination", args: { uri: "$uri" } };
const slow: Step = { run: "migrate-set-parameters", args: { "max-bandwidth": BANDWIDTH } };
const migrate: Step = { run: "migrate", args: { uri: "$uri" } };
const start = (extra: string[] = []): Step[] => [
  eventsOn("source", extra),
  eventsOn("destination", extra),
  listen,
  slow,
  migrate,
  { waitFor: ["active"] },
  { sleepMs: 300 },
];

export const MORE_LEGACY_SCENARIOS: LegacyScenario[] = [
  {
    name: "cancel-in-cancelling",
    tags: ["precopy", "events", "cancel"],
    doc:
      "Two migrate_cancel back to back: the second lands while cancelling (or after cancelled) " +
      "and is a silent no-op either way. Landing in cancelling, QEMU 7.2 repeats `cancelling` (a " +
      "same-status change) and so does the legacy facade; whether it lands there is a race, so " +
      "repeats are compared once. The migration thread reports `cancelled` while the main thread " +
      "answers the cancels, so their replies are compared without their place among the events.",
    repeatedStatuses: ["cancelling"],
    racyReplies: ["migrate_cancel"],
    steps: [
      ...start(),
      { run: "migrate_cancel" },
      { run: "migrate_cancel" },
      { waitFor: ["cancelled"] },
      { waitFor: ["gone"], on: "destination" },
      { checkpoint: "end" },
    ],
  },
  {
    name: "cancel-after-cancelled",
    tags: ["precopy", "events", "cancel"],
    doc: "migrate_cancel after the migration was cancelled succeeds and changes nothing.",
    steps: [
      ...start(),
      { run: "migrate_cancel" },
      { waitFor: ["cancelled"] },
      { waitFor: ["gone"], on: "destination" },
      { run: "migrate_cancel" },
      { sleepMs: 200 },
      { checkpoint: "end" },
    ],
  },
  {
    name: "cancel-after-failed",
    tags: ["precopy", "events", "cancel", "fault"],
    doc: "migrate_cancel after the migration failed (destination killed) succeeds; it stays failed.",
    steps: [
      ...start(),
      { kill: "destination" },
      { waitFor: ["failed"] },
      { run: "migrate_cancel" },
      { sleepMs: 200 },
      { checkpoint: "end" },
    ],
  },
  {
    name: "postcopy-pause-recover",
    tags: ["postcopy", "events", "recovery"],
    doc:
      "migrate-pause in postcopy pauses both sides; migrate-recover on the destination and " +
      "migrate with resume on the source recover; both complete. On migrate-recover 7.2's " +
      "destination sends a false `setup` while it stays postcopy-paused; the facade does not.",
    repeatedStatuses: ["setup"],
    steps: [
      { run: "migrate-set-parameters", args: { "max-postcopy-bandwidth": 4 * 1024 * 1024 } },
      ...start(["postcopy-ram"]),
      { run: "migrate-start-postcopy" },
      { waitFor: ["postcopy-active"] },
      // Paused before the destination entered postcopy, its incoming side fails instead.
      { waitFor: ["postcopy-active"], on: "destination" },
      // 7.2's destination must be running postcopy, not only announce it (job-steps.ts).
      { sleepMs: 500 },
      { run: "migrate-pause" },
      { waitFor: ["postcopy-paused"] },
      { waitFor: ["postcopy-paused"], on: "destination" },
      { checkpoint: "paused" },
      { run: "migrate-recover", on: "destination", args: { uri: "$uri" } },
      { run: "migrate", args: { uri: "$uri", resume: true } },
      { waitFor: ["postcopy-active"] },
      { run: "migrate-set-parameters", args: { "max-postcopy-bandwidth": 1024 * 1024 * 1024 } },
      { waitFor: ["completed"] },
      { waitFor: ["completed"], on: "destination" },
      { checkpoint: "end" },
      { checkpoint: "end", on: "destination" },
    ],
  },
  {
    name: "idle-queries",
    tags: ["idle"],
    doc:
      "Before any migration: query-migrate is empty, the capabilities and parameters are " +
      "QEMU's defaults, and migrate-continue is refused with QEMU's text.",
    steps: [
      { run: "query-migrate" },
      { run: "query-migrate-capabilities" },
      { run: "migrate-continue", args: { state: "pre-switchover" } },
      { run: "migrate-start-postcopy" },
    ],
  },
];
