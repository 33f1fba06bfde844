/**
 * job-cancel after each migration status. Where a migration runs, the source job ends cancelled
 * (concluded, error `Operation canceled`) and the destination job failed; where none runs, the
 * job API answers with QEMU's refusal (a job must exist and be cancellable: decision 0001,
 * tensions 4 and 5) and nothing changes.
 */
import { INCOMING_JOB, type JobScenario, type SideTrace } from "./job-scenario.ts";
import { listen, migrate, startHeld, verb } from "./job-steps.ts";
import { refusedLine } from "./verb-matrix.ts";
import { PRECOPY_TO_COMPLETED } from "./version-lines.ts";

const t = (events: string[], replies: string[]): SideTrace => ({ events, replies });

export const RUNNING = ["status created", "status running", "sub setup", "sub active"];
const CANCELLED = ["status aborting", "sub cancelling", "status concluded", "sub cancelled"];
const CANCELLED_QUERY = 'query end: m0 concluded substatus=cancelled error="Operation canceled"';
/** What the destination's job shows when the source cancels: its QEMU fails the incoming side. */
export const DESTINATION_FAILED = [...RUNNING, "status aborting", "status concluded", "sub failed"];

export const CANCEL_SCENARIOS: JobScenario[] = [
  {
    name: "jobs/cancel-in-none",
    tags: ["cancel", "idle"],
    doc:
      "No migration: job-cancel of an unknown job is `Job not found`. The listening destination " +
      "job refuses cancel (QEMU has no way to stop an incoming migration); 7.2 reports `setup` " +
      "as soon as it listens, so that job is running, substatus setup.",
    steps: [
      listen(),
      verb("cancel"),
      verb("cancel", "destination", INCOMING_JOB),
      { query: "end", on: "destination" },
    ],
    expect: {
      source: t([], ["error job-cancel GenericError: Job not found"]),
      destination: t(
        ["status created", "status running", "sub setup"],
        [
          "ok job-migrate-incoming",
          refusedLine("cancel", INCOMING_JOB, "running"),
          "query end: in0 running substatus=setup",
        ],
      ),
    },
  },
  {
    name: "jobs/cancel-in-setup",
    tags: ["cancel", "precopy"],
    doc:
      "job-cancel right after job-migrate. QEMU 7.2 leaves setup within milliseconds, so the cancel " +
      "lands in setup or in active: `sub active` is racy.",
    racy: ["sub active"],
    steps: [
      listen(),
      migrate({ autoDismiss: false }),
      verb("cancel"),
      { waitSub: ["cancelled"] },
      { waitSub: ["failed"], on: "destination" },
      { query: "end" },
    ],
    expect: {
      source: t(
        ["status created", "status running", "sub setup", ...CANCELLED],
        ["ok job-migrate", "ok job-cancel", CANCELLED_QUERY],
      ),
      destination: t(
        [
          "status created",
          "status running",
          "sub setup",
          "status aborting",
          "status concluded",
          "sub failed",
        ],
        ["ok job-migrate-incoming"],
      ),
    },
  },
  {
    name: "jobs/cancel-in-active",
    tags: ["cancel", "precopy"],
    doc: "job-cancel while RAM is copied: source cancelled, destination failed.",
    steps: [
      ...startHeld({ autoDismiss: false }),
      verb("cancel"),
      { waitSub: ["cancelled"] },
      { waitSub: ["failed"], on: "destination" },
      { query: "end" },
    ],
    expect: {
      source: t([...RUNNING, ...CANCELLED], ["ok job-migrate", "ok job-cancel", CANCELLED_QUERY]),
      destination: t(DESTINATION_FAILED, ["ok job-migrate-incoming"]),
    },
  },
  {
    name: "jobs/cancel-in-pre-switchover",
    tags: ["cancel", "precopy", "switchover"],
    doc:
      "job-cancel while held before switchover (pending): source cancelled, destination failed. " +
      "QEMU 7.2's migrate_cancel wakes the held migration thread, which may enter `device` " +
      "before it sees the cancel (the legacy cancel-in-pre-switchover shows the same race): " +
      "`sub device` is racy.",
    racy: ["sub device"],
    steps: [
      listen(),
      migrate({ autoFinalize: false, autoDismiss: false }),
      { waitSub: ["pre-switchover"] },
      verb("cancel"),
      { waitSub: ["cancelled"] },
      { waitSub: ["failed"], on: "destination" },
      { query: "end" },
    ],
    expect: {
      source: t(
        [...RUNNING, "status waiting", "status pending", "sub pre-switchover", ...CANCELLED],
        ["ok job-migrate", "ok job-cancel", CANCELLED_QUERY],
      ),
      destination: t(DESTINATION_FAILED, ["ok job-migrate-incoming"]),
    },
  },
  {
    name: "jobs/cancel-in-cancelling",
    tags: ["cancel", "precopy"],
    doc:
      "A second job-cancel while the first is in progress (aborting, substatus cancelling) is " +
      "refused; it may also land after the job concluded — refused either way, and nothing changes.",
    steps: [
      ...startHeld({ autoDismiss: false }),
      verb("cancel"),
      verb("cancel"),
      { waitSub: ["cancelled"] },
      { query: "end" },
    ],
    expect: {
      source: t(
        [...RUNNING, ...CANCELLED],
        [
          "ok job-migrate",
          "ok job-cancel",
          `${refusedLine("cancel", "m0", "aborting")} || ${refusedLine("cancel", "m0", "concluded")}`,
          CANCELLED_QUERY,
        ],
      ),
    },
  },
  {
    name: "jobs/cancel-after-cancelled",
    tags: ["cancel", "precopy"],
    doc: "job-cancel of a cancelled job (concluded) is refused; after job-dismiss it is `Job not found`.",
    steps: [
      ...startHeld({ autoDismiss: false }),
      verb("cancel"),
      { waitSub: ["cancelled"] },
      verb("cancel"),
      verb("dismiss"),
      verb("cancel"),
      { query: "end" },
    ],
    expect: {
      source: t(
        [...RUNNING, ...CANCELLED, "status null"],
        [
          "ok job-migrate",
          "ok job-cancel",
          refusedLine("cancel", "m0", "concluded"),
          "ok job-dismiss",
          "error job-cancel GenericError: Job not found",
          "query end: no jobs",
        ],
      ),
    },
  },
  {
    name: "jobs/cancel-after-completed",
    tags: ["cancel", "precopy"],
    doc: "job-cancel after the migration completed is refused (concluded); both sides completed.",
    steps: [
      listen(),
      migrate({ autoDismiss: false }),
      { waitSub: ["completed"] },
      { waitSub: ["completed"], on: "destination" },
      verb("cancel"),
      { query: "end" },
    ],
    expect: {
      source: t(
        [...RUNNING, ...PRECOPY_TO_COMPLETED],
        [
          "ok job-migrate",
          refusedLine("cancel", "m0", "concluded"),
          "query end: m0 concluded substatus=completed",
        ],
      ),
    },
  },
  {
    name: "jobs/cancel-after-failed",
    tags: ["cancel", "precopy", "fault"],
    doc: "job-cancel after the migration failed (destination killed) is refused (concluded).",
    steps: [
      ...startHeld({ autoDismiss: false }),
      { kill: "destination" },
      { waitSub: ["failed"] },
      verb("cancel"),
    ],
    expect: {
      source: t(
        [...RUNNING, "status aborting", "status concluded", "sub failed"],
        ["ok job-migrate", refusedLine("cancel", "m0", "concluded")],
      ),
    },
  },
];
