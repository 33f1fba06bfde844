/**
 * Switchover transactions (decision 0003) as catalogue scenarios: a migration and the block
 * mirror jobs that must switch over with it. The mirrors copy between null-co nodes of the
 * source QEMU: what is tested is the transaction's protocol — the hold until every mirror is
 * ready, the soft completion of the mirrors before the migration continues, and one failure
 * aborting all — not the data (test/adapters/transaction/ checks real disks over NBD).
 */
import type { JobScenario, JobStep, SideTrace } from "./job-scenario.ts";
import { listen, migrate } from "./job-steps.ts";
import { DESTINATION_FAILED, RUNNING } from "./jobs-cancel.ts";
import { queryStatusLines } from "./version-lines.ts";

const MIB = 1024 * 1024;
const nullNode = (name: string): JobStep => ({
  run: "blockdev-add",
  args: { driver: "null-co", "node-name": name, size: 64 * MIB },
});
const mirror = (speed?: number): JobStep => ({
  run: "blockdev-mirror",
  args: { "job-id": "mir0", device: "disk0", target: "target0", sync: "full", ...(speed ? { speed } : {}) },
});
const setup = [nullNode("disk0"), nullNode("target0")];
const setupReplies = ["ok blockdev-add", "ok blockdev-add", "ok blockdev-mirror"];
const HELD = [...RUNNING, "status waiting", "status pending", "sub pre-switchover"];
const COMMITTED = [...HELD, "sub device", "status concluded", "sub completed"];
/** The mirror: ready, drained while the guest stops, soft-completed at the commit. */
const MIRROR_COMMITTED = [
  "mir0 status created",
  "mir0 status running",
  "mir0 status ready",
  "mir0 status standby",
  "mir0 status ready",
  "mir0 status waiting",
  "mir0 status pending",
  "mir0 status concluded",
  "mir0 status null",
];
const INCOMING_COMPLETED = [
  ...RUNNING,
  "status waiting",
  "status pending",
  "status concluded",
  "sub completed",
];
const destinationCompleted: SideTrace = { events: INCOMING_COMPLETED, replies: ["ok job-migrate-incoming"] };
const commitOrder: JobStep = { order: ["mir0 status concluded", "sub device"] };
const COMMIT_ORDER = "order: mir0 status concluded before sub device";

export const TRANSACTION_SCENARIOS: JobScenario[] = [
  {
    name: "jobs/transaction-commit",
    tags: ["transaction", "switchover"],
    doc:
      "job-migrate with a mirror: held in pending until the mirror is ready, then the mirror is " +
      "soft-completed and the migration continues; both end without error.",
    steps: [
      ...setup,
      mirror(),
      { waitStatus: ["ready"], job: "mir0" },
      listen(),
      migrate({ mirrors: ["mir0"], autoDismiss: false }),
      { waitSub: ["completed"] },
      { waitSub: ["completed"], on: "destination" },
      { query: "end" },
      commitOrder,
    ],
    groupEvents: true,
    expect: {
      source: {
        events: [...COMMITTED, ...MIRROR_COMMITTED],
        replies: [
          ...setupReplies,
          "ok job-migrate",
          "query end: m0 concluded substatus=completed",
          COMMIT_ORDER,
        ],
      },
      destination: destinationCompleted,
    },
  },
  {
    name: "jobs/transaction-finalize",
    tags: ["transaction", "switchover"],
    doc:
      "auto-finalize off: the transaction waits in pending with its mirror ready; job-finalize " +
      "commits it; a pivot of the member (job-complete) is refused meanwhile.",
    steps: [
      ...setup,
      mirror(),
      { waitStatus: ["ready"], job: "mir0" },
      listen(),
      migrate({ mirrors: ["mir0"], autoFinalize: false, autoDismiss: false }),
      { waitSub: ["pre-switchover"] },
      { query: "held" },
      { run: "job-complete", args: { id: "mir0" } },
      { run: "job-finalize", args: { id: "m0" } },
      { waitSub: ["completed"] },
      { waitSub: ["completed"], on: "destination" },
      { query: "end" },
      commitOrder,
    ],
    groupEvents: true,
    expect: {
      source: {
        events: [...COMMITTED, ...MIRROR_COMMITTED],
        replies: [
          ...setupReplies,
          "ok job-migrate",
          "query held: m0 pending substatus=pre-switchover; mir0 ready",
          "error job-complete GenericError: Job 'mir0' switches over with migration 'm0' and completes with it",
          "ok job-finalize",
          "query end: m0 concluded substatus=completed",
          COMMIT_ORDER,
        ],
      },
      destination: destinationCompleted,
    },
  },
  {
    name: "jobs/transaction-abort",
    tags: ["transaction", "switchover", "cancel"],
    doc:
      "The member mirror is cancelled before the switchover: the transaction aborts all — the " +
      "migration job is cancelled too (one failure aborts all), the source keeps running.",
    steps: [
      ...setup,
      mirror(MIB),
      listen(),
      migrate({ mirrors: ["mir0"], autoDismiss: false }),
      { waitSub: ["pre-switchover"] },
      { run: "job-cancel", args: { id: "mir0" } },
      { waitSub: ["cancelled"] },
      { query: "end" },
      { run: "query-status" },
      { order: ["mir0 status aborting", "status aborting"] },
    ],
    groupEvents: true,
    // QEMU 7.2's cancel of a held migration races its woken thread: `device` or not.
    racy: ["sub device"],
    expect: {
      source: {
        events: [
          ...HELD,
          "status aborting",
          "sub cancelling",
          "status concluded",
          "sub cancelled",
          "mir0 status created",
          "mir0 status running",
          "mir0 status paused",
          "mir0 status running",
          "mir0 status aborting",
          "mir0 status concluded",
          "mir0 status null",
        ],
        replies: [
          ...setupReplies,
          "ok job-migrate",
          "ok job-cancel",
          'query end: m0 concluded substatus=cancelled error="Operation canceled"',
          ...queryStatusLines(true, "running"),
          "order: mir0 status aborting before status aborting",
        ],
      },
      destination: { events: DESTINATION_FAILED, replies: ["ok job-migrate-incoming"] },
    },
  },
];
