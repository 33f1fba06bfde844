/**
 * Adoption (decision 0001, 14; issues 12 and 13): a migration the job API did not start is a job
 * all the same — a legacy `migrate` passed through the job facade, a destination started with
 * `-incoming URI` — with the default id of its direction (`migration`, `migration-incoming`),
 * auto-dismissed as a block job started without `job-id` is, and answering the job verbs. The
 * legacy API over the job API sees such a migration exactly as QEMU shows it.
 */

import type { JobScenario, JobStep, SideTrace } from "./job-scenario.ts";
import { FAST_BANDWIDTH, HOLD_BANDWIDTH, listen, migrate, verb } from "./job-steps.ts";
import { DESTINATION_FAILED, RUNNING } from "./jobs-cancel.ts";
import { BANDWIDTH, type LegacyScenario, type Step } from "./legacy.ts";

const t = (events: string[], replies: string[]): SideTrace => ({ events, replies });

const ADOPTED = "migration";
const ADOPTED_INCOMING = "migration-incoming";
/** Event lines of a job the catalogue did not name (see run-job-scenario.ts). */
const of = (id: string, lines: string[]) => lines.map((line) => `${id} ${line}`);
const COMPLETED = ["status waiting", "status pending", "status concluded", "sub completed"];

/** A legacy client's migration through the job facade, held in `active`. */
const passedThrough: JobStep[] = [
  listen(),
  { run: "migrate-set-parameters", args: { "max-bandwidth": HOLD_BANDWIDTH } },
  { run: "migrate", args: { uri: "$uri" } },
  { waitSub: ["active"], job: ADOPTED },
];

export const ADOPTION_SCENARIOS: JobScenario[] = [
  {
    name: "jobs/adoption-legacy-migrate",
    tags: ["adoption", "precopy"],
    doc:
      "A legacy `migrate` passed through the job facade is job `migration`: listed by query-jobs, " +
      "reported by JOB_STATUS_CHANGE / JOB_SUBSTATUS_CHANGE, changed by job-change, and " +
      "auto-dismissed at the end. A job-migrate meanwhile gets QEMU's refusal and leaves no trace.",
    steps: [
      ...passedThrough,
      { query: "running" },
      { run: "job-migrate", args: { "job-id": "m0", uri: "$uri" } },
      { run: "job-change", args: { id: ADOPTED, type: "migration", "max-bandwidth": FAST_BANDWIDTH } },
      { waitStatus: ["null"], job: ADOPTED },
      { query: "end" },
      { waitSub: ["completed"], on: "destination" },
    ],
    expect: {
      source: t(of(ADOPTED, [...RUNNING, ...COMPLETED, "status null"]), [
        "ok migrate-set-parameters",
        "ok migrate",
        "query running: migration running substatus=active",
        "error job-migrate GenericError: There's a migration process in progress",
        "ok job-change",
        "query end: no jobs",
      ]),
      destination: t([...RUNNING, ...COMPLETED], ["ok job-migrate-incoming"]),
    },
  },
  {
    name: "jobs/adoption-cancel",
    tags: ["adoption", "cancel", "precopy"],
    doc:
      "job-cancel of an adopted migration runs migrate_cancel: QEMU cancels it (substatus " +
      "cancelled, the job's error `Operation canceled`, then dismissed) and the destination fails.",
    steps: [
      ...passedThrough,
      verb("cancel", "source", ADOPTED),
      { waitStatus: ["null"], job: ADOPTED },
      { waitSub: ["failed"], on: "destination" },
      { query: "end" },
    ],
    expect: {
      source: t(
        of(ADOPTED, [
          ...RUNNING,
          "status aborting",
          "sub cancelling",
          "status concluded",
          "sub cancelled",
          "status null",
        ]),
        ["ok migrate-set-parameters", "ok migrate", "ok job-cancel", "query end: no jobs"],
      ),
      destination: t(DESTINATION_FAILED, ["ok job-migrate-incoming"]),
    },
  },
  {
    name: "jobs/adoption-incoming-uri",
    tags: ["adoption", "incoming"],
    doc:
      "A destination QEMU started with `-incoming URI` listens before the facade attaches: the " +
      "facade adopts it as job `migration-incoming` (running, substatus setup, as a listening " +
      "job-migrate-incoming job), which follows the migration to completed and is dismissed.",
    listenAtStart: true,
    steps: [
      { query: "listening", on: "destination" },
      migrate({ autoDismiss: false }),
      { waitSub: ["completed"] },
      { waitStatus: ["null"], on: "destination", job: ADOPTED_INCOMING },
      { query: "end", on: "destination" },
    ],
    expect: {
      source: t([...RUNNING, ...COMPLETED], ["ok job-migrate"]),
      destination: t(of(ADOPTED_INCOMING, ["sub active", ...COMPLETED, "status null"]), [
        "query listening: migration-incoming running substatus=setup",
        "query end: no jobs",
      ]),
    },
  },
];

const eventsOn = (on: "source" | "destination"): Step => ({
  run: "migrate-set-capabilities",
  on,
  args: { capabilities: [{ capability: "events", state: true }] },
});

export const ADOPTION_LEGACY_SCENARIOS: LegacyScenario[] = [
  {
    name: "adoption-incoming-uri",
    tags: ["adoption", "incoming", "events"],
    doc:
      "A destination started with `-incoming URI`: query-migrate answers `socket-address` while " +
      "it listens (how QEMU's migration-test learns the port), then MIGRATION events and the " +
      "final answer of a completed incoming migration — through legacy∘jobs exactly as from QEMU.",
    listenAtStart: true,
    steps: [
      { checkpoint: "listening", on: "destination" },
      eventsOn("source"),
      eventsOn("destination"),
      { run: "migrate-set-parameters", args: { "max-bandwidth": BANDWIDTH } },
      { run: "migrate", args: { uri: "$uri" } },
      { waitFor: ["completed"] },
      { waitFor: ["completed"], on: "destination" },
      { checkpoint: "end" },
      { checkpoint: "end", on: "destination" },
    ],
  },
];
