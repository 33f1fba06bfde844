/**
 * Every job verb in every (status, substatus) a migration job can be held in on QEMU 7.2, the
 * way QEMU's iotest 219 walks block jobs through their states: accepted exactly where decision
 * 0001's verb table allows (verb-matrix.ts), refused with QEMU's text everywhere else. `setup`
 * of an outgoing job is not held (7.2 leaves it within milliseconds; jobs/cancel-in-setup covers
 * it), nor `none` of an incoming one (7.2 reports `setup` as soon as it listens).
 */
import type { JobScenario, JobSide, JobStep } from "./job-scenario.ts";
import {
  FAST_BANDWIDTH,
  HOLD_BANDWIDTH,
  listen,
  migrate,
  SETTLE_BEFORE_PAUSE,
  speedUp,
  startHeld,
  verb,
  walkVerbs,
} from "./job-steps.ts";
import { RUNNING } from "./jobs-cancel.ts";
import { type HeldState, heldState, type JobVerb } from "./verb-matrix.ts";
import { POSTCOPY_SWITCH, PRECOPY_TO_COMPLETED, RECOVER_SETUP } from "./version-lines.ts";

interface Walk {
  at: HeldState;
  on: JobSide;
  run?: JobVerb[];
}

interface VerbScenario {
  name: string;
  doc: string;
  tags: string[];
  /** Brings the jobs to the held states; its replies come first. */
  reach: { steps: JobStep[]; source: string[]; destination: string[] };
  walks: Walk[];
  /** Lets the jobs go on (or end) after the walk; its replies come last. */
  leave: { steps: JobStep[]; source: string[]; destination: string[] };
  events: { source: string[]; destination: string[] };
}

function verbScenario(spec: VerbScenario): JobScenario {
  const replies: Record<"source" | "destination", string[]> = {
    source: [...spec.reach.source],
    destination: [...spec.reach.destination],
  };
  const steps = [...spec.reach.steps];
  for (const walk of spec.walks) {
    const { steps: walkSteps, replies: walkReplies } = walkVerbs(walk.at, walk.on, walk.run);
    steps.push(...walkSteps);
    replies[walk.on === "destination" ? "destination" : "source"].push(...walkReplies);
  }
  steps.push(...spec.leave.steps);
  return {
    name: spec.name,
    tags: ["verbs", ...spec.tags],
    doc: spec.doc,
    steps,
    expect: {
      source: { events: spec.events.source, replies: [...replies.source, ...spec.leave.source] },
      destination: {
        events: spec.events.destination,
        replies: [...replies.destination, ...spec.leave.destination],
      },
    },
  };
}

const waitBoth = (sub: string): JobStep[] => [{ waitSub: [sub] }, { waitSub: [sub], on: "destination" }];
/** For a substatus the jobs return to: only one reported after each side's last command counts. */
const waitFresh = (sub: string): JobStep[] => [
  { waitSub: [sub], fresh: true },
  { waitSub: [sub], on: "destination", fresh: true },
];
const PAST_ACTIVE = ["status waiting", "status pending", "status concluded", "sub completed"];
const COMPLETED = [...RUNNING, ...PAST_ACTIVE];
const SOURCE_COMPLETED = [...RUNNING, ...PRECOPY_TO_COMPLETED];
const CANCELLED = ["status aborting", "sub cancelling", "status concluded", "sub cancelled"];
const FAILED = ["status aborting", "status concluded", "sub failed"];
const POSTCOPY_SOURCE = ["status created", "status running", "sub setup", "status ready", "sub active"];
const held = heldState;

const postcopyReady: JobStep[] = [
  { run: "migrate-set-parameters", args: { "max-postcopy-bandwidth": HOLD_BANDWIDTH } },
  listen(),
  migrate({ postcopy: true, bandwidth: HOLD_BANDWIDTH, autoDismiss: false }),
  ...waitBoth("active"),
];
const postcopyReadyReplies = ["ok migrate-set-parameters", "ok job-migrate"];
const inPostcopy: JobStep[] = [...postcopyReady, verb("complete"), ...waitBoth("postcopy-active")];
const postcopyFinish: JobStep[] = [
  { run: "job-change", args: { id: "m0", type: "migration", "max-postcopy-bandwidth": FAST_BANDWIDTH } },
  ...waitBoth("completed"),
];
const dismissBoth: JobStep[] = [verb("dismiss"), verb("dismiss", "destination", "in0")];

export const VERB_SCENARIOS: JobScenario[] = [
  verbScenario({
    name: "verbs/precopy-active",
    tags: ["precopy"],
    doc: "Precopy active: the source (running) takes cancel, set-speed, change; the destination (running) no verb.",
    reach: {
      steps: startHeld({ autoDismiss: false }),
      source: ["ok job-migrate"],
      destination: ["ok job-migrate-incoming"],
    },
    walks: [
      { at: held("outgoing", "active"), on: "source", run: ["set-speed", "change"] },
      { at: held("incoming", "active"), on: "destination" },
    ],
    leave: { steps: [speedUp(), ...waitBoth("completed")], source: ["ok job-change"], destination: [] },
    events: { source: SOURCE_COMPLETED, destination: COMPLETED },
  }),
  verbScenario({
    name: "verbs/incoming-setup",
    tags: ["incoming"],
    doc: "A listening destination job (running, substatus setup) takes no verb.",
    reach: {
      steps: [listen(), { waitSub: ["setup"], on: "destination" }],
      source: [],
      destination: ["ok job-migrate-incoming"],
    },
    walks: [{ at: held("incoming", "setup"), on: "destination" }],
    leave: { steps: [], source: [], destination: [] },
    events: { source: [], destination: ["status created", "status running", "sub setup"] },
  }),
  verbScenario({
    name: "verbs/pre-switchover",
    tags: ["precopy", "switchover"],
    doc: "Held before switchover (pending): cancel and finalize only; finalize then completes it.",
    reach: {
      steps: [
        listen(),
        migrate({ autoFinalize: false, autoDismiss: false }),
        { waitSub: ["pre-switchover"] },
      ],
      source: ["ok job-migrate"],
      destination: ["ok job-migrate-incoming"],
    },
    walks: [{ at: held("outgoing", "pre-switchover"), on: "source" }],
    leave: {
      steps: [verb("finalize"), ...waitBoth("completed")],
      source: ["ok job-finalize"],
      destination: [],
    },
    events: {
      source: [
        ...RUNNING,
        "status waiting",
        "status pending",
        "sub pre-switchover",
        "sub device",
        "status concluded",
        "sub completed",
      ],
      destination: COMPLETED,
    },
  }),
  verbScenario({
    name: "verbs/completed",
    tags: ["precopy"],
    doc: "Completed on both sides (concluded): dismiss only; dismiss removes both jobs.",
    reach: {
      steps: [listen(), migrate({ autoDismiss: false }), ...waitBoth("completed")],
      source: ["ok job-migrate"],
      destination: ["ok job-migrate-incoming"],
    },
    walks: [
      { at: held("outgoing", "completed"), on: "source" },
      { at: held("incoming", "completed"), on: "destination" },
    ],
    leave: { steps: dismissBoth, source: ["ok job-dismiss"], destination: ["ok job-dismiss"] },
    events: { source: [...SOURCE_COMPLETED, "status null"], destination: [...COMPLETED, "status null"] },
  }),
  verbScenario({
    name: "verbs/cancelled",
    tags: ["precopy", "cancel"],
    doc:
      "Source cancelled (concluded): dismiss only. The destination job fails too, but 7.2's " +
      "destination QEMU exits with it and its facade closes: that state cannot be held.",
    reach: {
      steps: [
        ...startHeld({ autoDismiss: false }),
        verb("cancel"),
        { waitSub: ["cancelled"] },
        { waitSub: ["failed"], on: "destination" },
      ],
      source: ["ok job-migrate", "ok job-cancel"],
      destination: ["ok job-migrate-incoming"],
    },
    walks: [{ at: held("outgoing", "cancelled"), on: "source" }],
    leave: { steps: [verb("dismiss")], source: ["ok job-dismiss"], destination: [] },
    events: {
      source: [...RUNNING, ...CANCELLED, "status null"],
      destination: [...RUNNING, ...FAILED],
    },
  }),
  verbScenario({
    name: "verbs/failed",
    tags: ["precopy", "fault"],
    doc: "Source failed because the destination died (concluded): dismiss only.",
    reach: {
      steps: [...startHeld({ autoDismiss: false }), { kill: "destination" }, { waitSub: ["failed"] }],
      source: ["ok job-migrate"],
      destination: ["ok job-migrate-incoming"],
    },
    walks: [{ at: held("outgoing", "failed"), on: "source" }],
    leave: { steps: [verb("dismiss")], source: ["ok job-dismiss"], destination: [] },
    events: { source: [...RUNNING, ...FAILED, "status null"], destination: [...RUNNING, ...FAILED] },
  }),
  verbScenario({
    name: "verbs/postcopy-ready",
    tags: ["postcopy"],
    doc:
      "A postcopy job in active is ready: cancel, set-speed, change and complete (not pause, " +
      "resume, finalize, dismiss); the destination (running) takes none; complete starts postcopy.",
    reach: { steps: postcopyReady, source: postcopyReadyReplies, destination: ["ok job-migrate-incoming"] },
    walks: [
      { at: held("postcopy", "active"), on: "source", run: ["set-speed", "change"] },
      { at: held("incoming", "active"), on: "destination" },
    ],
    leave: {
      steps: [
        { run: "migrate-set-parameters", args: { "max-postcopy-bandwidth": FAST_BANDWIDTH } },
        verb("complete"),
        ...waitBoth("completed"),
      ],
      source: ["ok migrate-set-parameters", "ok job-complete"],
      destination: [],
    },
    events: {
      source: [...POSTCOPY_SOURCE, ...POSTCOPY_SWITCH, ...PAST_ACTIVE],
      destination: [...RUNNING, "sub postcopy-active", ...PAST_ACTIVE],
    },
  }),
  verbScenario({
    name: "verbs/postcopy-active",
    tags: ["postcopy"],
    doc:
      "In postcopy (source ready, destination running): the source takes pause, set-speed, " +
      "change — no cancel, the guest would be lost (decision 0001, tension 2); the destination pause only.",
    reach: {
      steps: inPostcopy,
      source: [...postcopyReadyReplies, "ok job-complete"],
      destination: ["ok job-migrate-incoming"],
    },
    walks: [
      { at: held("postcopy", "postcopy-active"), on: "source", run: ["set-speed", "change"] },
      { at: held("incoming", "postcopy-active"), on: "destination" },
    ],
    leave: { steps: postcopyFinish, source: ["ok job-change"], destination: [] },
    events: {
      source: [...POSTCOPY_SOURCE, ...POSTCOPY_SWITCH, ...PAST_ACTIVE],
      destination: [...RUNNING, "sub postcopy-active", ...PAST_ACTIVE],
    },
  }),
  verbScenario({
    name: "verbs/postcopy-paused",
    tags: ["postcopy", "recovery"],
    doc:
      "Postcopy paused (source standby, destination paused): resume and change on both, nothing " +
      "else (set-speed is refused as such); resuming both recovers and completes.",
    reach: {
      steps: [...inPostcopy, SETTLE_BEFORE_PAUSE, verb("pause"), ...waitBoth("postcopy-paused")],
      source: [...postcopyReadyReplies, "ok job-complete", "ok job-pause"],
      destination: ["ok job-migrate-incoming"],
    },
    walks: [
      { at: held("postcopy", "postcopy-paused"), on: "source", run: ["change"] },
      { at: held("incoming", "postcopy-paused"), on: "destination", run: ["change"] },
    ],
    leave: {
      steps: [
        verb("resume", "destination", "in0"),
        verb("resume"),
        ...waitFresh("postcopy-active"),
        ...postcopyFinish,
      ],
      source: ["ok job-resume", "ok job-change"],
      destination: ["ok job-resume"],
    },
    events: {
      source: [
        ...POSTCOPY_SOURCE,
        ...POSTCOPY_SWITCH,
        "status standby",
        "sub postcopy-paused",
        ...RECOVER_SETUP,
        "status ready",
        "sub postcopy-recover",
        "sub postcopy-active",
        ...PAST_ACTIVE,
      ],
      destination: [
        ...RUNNING,
        "sub postcopy-active",
        "status paused",
        "sub postcopy-paused",
        "status running",
        "sub postcopy-recover",
        "sub postcopy-active",
        ...PAST_ACTIVE,
      ],
    },
  }),
  verbScenario({
    name: "verbs/postcopy-completed",
    tags: ["postcopy"],
    doc: "A completed postcopy migration (concluded on both sides): dismiss only.",
    reach: {
      steps: [...inPostcopy, ...postcopyFinish],
      source: [...postcopyReadyReplies, "ok job-complete", "ok job-change"],
      destination: ["ok job-migrate-incoming"],
    },
    walks: [
      { at: held("postcopy", "completed"), on: "source" },
      { at: held("incoming", "completed"), on: "destination" },
    ],
    leave: { steps: dismissBoth, source: ["ok job-dismiss"], destination: ["ok job-dismiss"] },
    events: {
      source: [...POSTCOPY_SOURCE, ...POSTCOPY_SWITCH, ...PAST_ACTIVE, "status null"],
      destination: [...RUNNING, "sub postcopy-active", ...PAST_ACTIVE, "status null"],
    },
  }),
];
