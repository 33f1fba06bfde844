/**
 * Whole migrations through the job API: the switchover hold, auto-finalize × auto-dismiss,
 * postcopy (start, pause, recovery), a dead destination, two clients at once, a status from a
 * future QEMU, the progress meter, and switchover transactions with mirror jobs (decision 0003).
 */
import type { JobScenario, JobStep, SideTrace } from "./job-scenario.ts";
import {
  FAST_BANDWIDTH,
  HOLD_BANDWIDTH,
  listen,
  migrate,
  SETTLE_BEFORE_PAUSE,
  speedUp,
  startHeld,
  verb,
} from "./job-steps.ts";
import { DESTINATION_FAILED, RUNNING } from "./jobs-cancel.ts";
import { refusedLine } from "./verb-matrix.ts";
import {
  INCOMING_TO_COMPLETED,
  POSTCOPY_SWITCH,
  PRECOPY_TO_COMPLETED,
  queryStatusLines,
  RECOVER_SETUP,
  since,
} from "./version-lines.ts";

const t = (events: string[], replies: string[]): SideTrace => ({ events, replies });

const HELD = [...RUNNING, "status waiting", "status pending", "sub pre-switchover"];
const COMPLETED_AUTO = [...RUNNING, ...PRECOPY_TO_COMPLETED];
const INCOMING_COMPLETED = [...RUNNING, ...INCOMING_TO_COMPLETED];
const waitBoth = (sub: string): JobStep[] => [{ waitSub: [sub] }, { waitSub: [sub], on: "destination" }];
/** For a substatus the jobs return to: only one reported after each side's last command counts. */
const waitFresh = (sub: string): JobStep[] => [
  { waitSub: [sub], fresh: true },
  { waitSub: [sub], on: "destination", fresh: true },
];

function autoScenario(autoFinalize: boolean, autoDismiss: boolean): JobScenario {
  const finalize: JobStep[] = autoFinalize
    ? []
    : [{ waitSub: ["pre-switchover"] }, { query: "held" }, verb("finalize")];
  const dismiss: JobStep[] = autoDismiss ? [] : [{ query: "concluded" }, verb("dismiss")];
  const events = autoFinalize ? COMPLETED_AUTO : [...HELD, "sub device", "status concluded", "sub completed"];
  return {
    name: `jobs/auto-finalize-${autoFinalize ? "on" : "off"}-auto-dismiss-${autoDismiss ? "on" : "off"}`,
    tags: ["precopy", "auto-finalize", "auto-dismiss", ...(autoFinalize ? [] : ["switchover"])],
    doc:
      `auto-finalize ${autoFinalize ? "on: the job passes pending by itself" : "off: the job waits in pending (pre-switchover) for job-finalize"}; ` +
      `auto-dismiss ${autoDismiss ? "on: the concluded job vanishes at once (status null)" : "off: it stays concluded until job-dismiss"}.`,
    steps: [
      listen(),
      migrate({ autoFinalize, autoDismiss }),
      ...finalize,
      ...waitBoth("completed"),
      ...dismiss,
      { waitStatus: ["null"] },
      { query: "end" },
    ],
    expect: {
      source: t(
        [...events, "status null"],
        [
          "ok job-migrate",
          ...(autoFinalize ? [] : ["query held: m0 pending substatus=pre-switchover", "ok job-finalize"]),
          ...(autoDismiss ? [] : ["query concluded: m0 concluded substatus=completed", "ok job-dismiss"]),
          "query end: no jobs",
        ],
      ),
      destination: t(INCOMING_COMPLETED, ["ok job-migrate-incoming"]),
    },
  };
}

const POSTCOPY_SOURCE = [
  "status created",
  "status running",
  "sub setup",
  "status ready",
  "sub active",
  ...POSTCOPY_SWITCH,
];
const POSTCOPY_DESTINATION = [...RUNNING, "sub postcopy-active"];
const PAST_POSTCOPY = ["status waiting", "status pending", "status concluded", "sub completed"];
const postcopyStart: JobStep[] = [
  { run: "migrate-set-parameters", args: { "max-postcopy-bandwidth": HOLD_BANDWIDTH } },
  listen(),
  migrate({ postcopy: true, bandwidth: HOLD_BANDWIDTH, autoDismiss: false }),
  { waitSub: ["active"] },
  verb("complete"),
  ...waitBoth("postcopy-active"),
];
const postcopyFinish: JobStep[] = [
  { run: "job-change", args: { id: "m0", type: "migration", "max-postcopy-bandwidth": FAST_BANDWIDTH } },
  ...waitBoth("completed"),
  { query: "end" },
];

export const FLOW_SCENARIOS: JobScenario[] = [
  autoScenario(true, true),
  autoScenario(true, false),
  autoScenario(false, true),
  autoScenario(false, false),
  {
    name: "jobs/pause-before-switchover-continue",
    tags: ["precopy", "switchover"],
    doc:
      "The switchover hold: job-finalize before pending is refused (running); held in pending " +
      "the guest is stopped; job-finalize continues and the migration completes.",
    steps: [
      ...startHeld({ autoFinalize: false, autoDismiss: false }),
      verb("finalize"),
      speedUp(),
      { waitSub: ["pre-switchover"] },
      { run: "query-status" },
      verb("finalize"),
      ...waitBoth("completed"),
      { run: "query-status", on: "destination" },
    ],
    expect: {
      source: t(
        [...HELD, "sub device", "status concluded", "sub completed"],
        [
          "ok job-migrate",
          refusedLine("finalize", "m0", "running"),
          "ok job-change",
          ...queryStatusLines(false, "finish-migrate"),
          "ok job-finalize",
        ],
      ),
      destination: t(INCOMING_COMPLETED, ["ok job-migrate-incoming", ...queryStatusLines(true, "running")]),
    },
  },
  {
    name: "jobs/postcopy-complete",
    tags: ["postcopy"],
    doc:
      "A postcopy job is ready in active; job-complete starts postcopy (ready, substatus " +
      "postcopy-active); it completes on both sides.",
    steps: [...postcopyStart, ...postcopyFinish],
    expect: {
      source: t(
        [...POSTCOPY_SOURCE, "status waiting", "status pending", "status concluded", "sub completed"],
        [
          "ok migrate-set-parameters",
          "ok job-migrate",
          "ok job-complete",
          "ok job-change",
          "query end: m0 concluded substatus=completed",
        ],
      ),
      destination: t(
        [...POSTCOPY_DESTINATION, "status waiting", "status pending", "status concluded", "sub completed"],
        ["ok job-migrate-incoming"],
      ),
    },
  },
  {
    name: "jobs/postcopy-pause-recover",
    tags: ["postcopy", "recovery"],
    doc:
      "job-pause in postcopy breaks the connection (source standby, destination paused, both " +
      "postcopy-paused); job-resume on the destination then the source recovers on the job's URI; " +
      "the migration completes.",
    steps: [
      ...postcopyStart,
      SETTLE_BEFORE_PAUSE,
      verb("pause"),
      ...waitBoth("postcopy-paused"),
      { query: "paused" },
      { query: "paused", on: "destination" },
      verb("resume", "destination", "in0"),
      verb("resume"),
      ...waitFresh("postcopy-active"),
      ...postcopyFinish,
    ],
    expect: {
      source: t(
        [
          ...POSTCOPY_SOURCE,
          "status standby",
          "sub postcopy-paused",
          ...RECOVER_SETUP,
          "status ready",
          "sub postcopy-recover",
          "sub postcopy-active",
          ...PAST_POSTCOPY,
        ],
        [
          "ok migrate-set-parameters",
          "ok job-migrate",
          "ok job-complete",
          "ok job-pause",
          "query paused: m0 standby substatus=postcopy-paused",
          "ok job-resume",
          "ok job-change",
          "query end: m0 concluded substatus=completed",
        ],
      ),
      destination: t(
        [
          ...POSTCOPY_DESTINATION,
          "status paused",
          "sub postcopy-paused",
          "status running",
          "sub postcopy-recover",
          "sub postcopy-active",
          ...PAST_POSTCOPY,
        ],
        ["ok job-migrate-incoming", "query paused: in0 paused substatus=postcopy-paused", "ok job-resume"],
      ),
    },
  },
  {
    name: "jobs/destination-failure",
    tags: ["precopy", "fault"],
    doc: "The destination QEMU dies mid-copy: the source job concludes with QEMU's error text.",
    steps: [
      ...startHeld({ autoDismiss: false }),
      { kill: "destination" },
      { waitSub: ["failed"] },
      { query: "end" },
    ],
    expect: {
      source: t(
        [...RUNNING, "status aborting", "status concluded", "sub failed"],
        [
          "ok job-migrate",
          'query end: m0 concluded substatus=failed error="Unable to write to socket: Broken pipe"',
        ],
      ),
      destination: t(DESTINATION_FAILED, ["ok job-migrate-incoming"]),
    },
  },
  {
    name: "jobs/destination-failure-in-postcopy",
    tags: ["postcopy", "fault"],
    doc:
      "The destination dies during postcopy: QEMU 7.2 pauses the source (postcopy-paused, job " +
      "standby) rather than failing, since only the pair together holds the guest.",
    steps: [...postcopyStart, { kill: "destination" }, { waitSub: ["postcopy-paused"] }, { query: "end" }],
    expect: {
      source: t(
        [...POSTCOPY_SOURCE, "status standby", "sub postcopy-paused"],
        [
          "ok migrate-set-parameters",
          "ok job-migrate",
          "ok job-complete",
          "query end: m0 standby substatus=postcopy-paused",
        ],
      ),
      destination: t(
        [...POSTCOPY_DESTINATION, "status aborting", "status concluded", "sub failed"],
        ["ok job-migrate-incoming"],
      ),
    },
  },
  {
    name: "jobs/two-clients-events",
    tags: ["clients", "precopy"],
    doc: "A second client of the same source sees the same job events as the one that started the job.",
    steps: [
      { query: "before", on: "second" },
      listen(),
      migrate({ autoDismiss: false }),
      ...waitBoth("completed"),
      { waitSub: ["completed"], on: "second" },
    ],
    expect: {
      source: t(COMPLETED_AUTO, ["ok job-migrate"]),
      second: t(COMPLETED_AUTO, ["query before: no jobs"]),
    },
  },
  {
    name: "jobs/two-clients-finalize-dismiss",
    tags: ["clients", "precopy", "switchover"],
    doc:
      "One client starts a held job, another finalizes and dismisses it; the first sees every " +
      "event and its own dismiss is then `Job not found`.",
    steps: [
      listen(),
      migrate({ autoFinalize: false, autoDismiss: false }),
      { waitSub: ["pre-switchover"], on: "second" },
      verb("finalize", "second"),
      { waitSub: ["completed"] },
      verb("dismiss", "second"),
      { waitStatus: ["null"] },
      verb("dismiss"),
    ],
    expect: {
      source: t(
        [...HELD, "sub device", "status concluded", "sub completed", "status null"],
        ["ok job-migrate", "error job-dismiss GenericError: Job not found"],
      ),
      second: t(
        [...HELD, "sub device", "status concluded", "sub completed", "status null"],
        ["ok job-finalize", "ok job-dismiss"],
      ),
    },
  },
  {
    name: "jobs/unknown-status-held",
    tags: ["unknown-status", "switchover"],
    doc:
      "While held in pending, the backend reports a MigrationStatus no schema knows: the job " +
      "keeps its status and last known substatus, `unknown-status` carries QEMU's string, the " +
      "verbs of the last known substatus stay (finalize), and the migration completes.",
    needsInjection: true,
    steps: [
      listen(),
      migrate({ autoFinalize: false, autoDismiss: false }),
      { waitSub: ["pre-switchover"] },
      { inject: "x-future-status" },
      { sleepMs: 500 },
      { query: "unknown" },
      verb("dismiss"),
      verb("finalize"),
      { inject: null },
      ...waitBoth("completed"),
      { query: "end" },
    ],
    expect: {
      source: t(
        [...HELD, "sub pre-switchover/x-future-status", "sub device", "status concluded", "sub completed"],
        [
          "ok job-migrate",
          "query unknown: m0 pending substatus=pre-switchover unknown-status=x-future-status",
          refusedLine("dismiss", "m0", "pending"),
          "ok job-finalize",
          "query end: m0 concluded substatus=completed",
        ],
      ),
      destination: t(INCOMING_COMPLETED, ["ok job-migrate-incoming"]),
    },
  },
  {
    name: "jobs/unknown-status-active",
    tags: ["unknown-status", "precopy"],
    doc:
      "While active, the backend reports an unknown status, then known ones again: the job " +
      "stays running throughout (substatus active, then active again) and completes.",
    needsInjection: true,
    steps: [
      ...startHeld({ autoDismiss: false }),
      { inject: "x-future-status" },
      { sleepMs: 500 },
      { query: "unknown" },
      { inject: null },
      speedUp(),
      ...waitBoth("completed"),
      { query: "end" },
    ],
    expect: {
      source: t(
        [
          ...RUNNING,
          "sub active/x-future-status",
          "sub active",
          "status waiting",
          "status pending",
          since("10.0", "sub device"),
          "status concluded",
          "sub completed",
        ],
        [
          "ok job-migrate",
          "query unknown: m0 running substatus=active unknown-status=x-future-status",
          "ok job-change",
          "query end: m0 concluded substatus=completed",
        ],
      ),
    },
  },
  {
    name: "jobs/progress",
    tags: ["progress", "precopy"],
    doc:
      "query-jobs progress while a migration runs: current-progress never falls, total-progress " +
      "is never below it, and at the end total = current (docs/progress.md).",
    fillMiB: 24,
    steps: [listen(), migrate({ autoDismiss: false, bandwidth: 12 * 1024 * 1024 }), { progress: "run" }],
    expect: {
      source: t(COMPLETED_AUTO, [
        "ok job-migrate",
        "progress run: current rose, total ≥ current, total = current at the end",
      ]),
    },
  },
  {
    name: "jobs/refusals",
    tags: ["errors"],
    doc:
      "Bad job commands get QEMU's class and text: a job ID in use, a malformed ID, a missing " +
      "argument, verbs on an unknown job.",
    steps: [
      ...startHeld({ autoDismiss: false }),
      migrate(),
      { run: "job-migrate", args: { "job-id": "1bad", uri: "$uri" } },
      { run: "job-migrate", args: { uri: "$uri" } },
      verb("pause", "source", "nope"),
      verb("finalize", "source", "nope"),
      { run: "job-change", args: { id: "nope", type: "migration" } },
      speedUp(),
      ...waitBoth("completed"),
    ],
    expect: {
      source: t(COMPLETED_AUTO, [
        "ok job-migrate",
        "error job-migrate GenericError: Job ID 'm0' already in use",
        "error job-migrate GenericError: Invalid job ID '1bad'",
        "error job-migrate GenericError: Parameter 'job-id' is missing",
        "error job-pause GenericError: Job not found",
        "error job-finalize GenericError: Job not found",
        "error job-change GenericError: Job not found",
        "ok job-change",
      ]),
    },
  },
];
