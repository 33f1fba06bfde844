/**
 * Decision 0001's mapping and verb tables, written out literally from docs/decisions/0001 (not
 * from the generated tables): the second oracle beside QEMU's job tables. JobSTT alone cannot
 * tell a wrong mapping of a state no transition touches, nor an extra verb that JobVerbTable
 * would also allow; the documented tables can.
 */

export const MACHINES = [
  "MigrationJobStateMachine",
  "MigrationPostcopyJobStateMachine",
  "MigrationIncomingJobStateMachine",
] as const;
export type MigrationMachineName = (typeof MACHINES)[number];

/** MigrationStatus added after QEMU 7.2 that the schema already carries (9.1, 10.2). */
export const NEWER_STATUSES = ["postcopy-recover-setup", "postcopy-device"] as const;

const OUTGOING_MAP: Record<string, string> = {
  none: "created",
  setup: "running",
  "wait-unplug": "running",
  active: "running",
  "pre-switchover": "pending",
  device: "pending",
  "postcopy-device": "ready",
  "postcopy-active": "ready",
  "postcopy-paused": "standby",
  "postcopy-recover-setup": "standby",
  "postcopy-recover": "ready",
  colo: "ready",
  cancelling: "aborting",
  cancelled: "concluded",
  failed: "concluded",
  completed: "concluded",
};

const INCOMING_MAP: Record<string, string> = {
  ...OUTGOING_MAP,
  "postcopy-device": "running",
  "postcopy-active": "running",
  "postcopy-paused": "paused",
  "postcopy-recover-setup": "paused",
  "postcopy-recover": "running",
  colo: "running",
};

/** The job status of each MigrationStatus, per machine (the decision's mapping table). */
export const DECLARED_STATE_MAP: Record<MigrationMachineName, Record<string, string>> = {
  MigrationJobStateMachine: OUTGOING_MAP,
  MigrationPostcopyJobStateMachine: {
    ...OUTGOING_MAP,
    active: "ready",
    "pre-switchover": "standby",
    device: "ready",
  },
  MigrationIncomingJobStateMachine: INCOMING_MAP,
};

const ENDED = ["cancelled", "completed", "failed"];
const PRECOPY_CANCEL = ["setup", "active", "pre-switchover", "device", "wait-unplug"];
const PRECOPY_SPEED = ["setup", "active", "wait-unplug"];

/** verb → the MigrationStatus values where it is accepted, per machine (the decision's verb table). */
export const DECLARED_VERBS: Record<MigrationMachineName, Record<string, readonly string[]>> = {
  MigrationJobStateMachine: {
    cancel: PRECOPY_CANCEL,
    pause: [],
    resume: [],
    "set-speed": PRECOPY_SPEED,
    complete: [],
    dismiss: ENDED,
    finalize: ["pre-switchover"],
    change: PRECOPY_SPEED,
  },
  MigrationPostcopyJobStateMachine: {
    cancel: PRECOPY_CANCEL,
    pause: ["postcopy-active"],
    resume: ["postcopy-paused", "pre-switchover"],
    "set-speed": [...PRECOPY_SPEED, "postcopy-active"],
    complete: ["active"],
    dismiss: ENDED,
    finalize: [],
    change: [...PRECOPY_SPEED, "postcopy-active", "postcopy-paused"],
  },
  MigrationIncomingJobStateMachine: {
    cancel: [],
    pause: ["postcopy-active"],
    resume: ["postcopy-paused"],
    "set-speed": [],
    complete: [],
    dismiss: ["completed", "failed"],
    finalize: [],
    change: ["postcopy-paused"],
  },
};
