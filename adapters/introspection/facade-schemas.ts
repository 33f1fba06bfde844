/**
 * What each facade adds to its upstream's `query-qmp-schema` (merge-schema.ts, decision 0006).
 * Only roots whose description the facade changes are named: commands it merely relays, even
 * with edits to the values (migrate-set-capabilities, query-migrate-capabilities), keep
 * upstream's description, because upstream is the one that checks and answers them.
 */
import type { SchemaContribution } from "./merge-schema.ts";

/** The job facade (schema/migration-job.json, schema/job.json) in front of a legacy QEMU. */
export const JOB_FACADE_SCHEMA: SchemaContribution = {
  // The facade answers these alone, with its own argument checks.
  "job-migrate": "own",
  "job-migrate-incoming": "own",
  // The facade answers for its migration jobs, upstream for its own jobs: both descriptions hold.
  "query-jobs": "extends",
  "job-change": "extends",
  JOB_SUBSTATUS_CHANGE: "extends",
};

/**
 * The legacy facade in front of a job backend: it serves the legacy migration commands and
 * MIGRATION itself (QEMU 7.2's signatures, schema/migration.json), and hides nothing else —
 * job-migrate and the job verbs pass through to the backend and stay in the schema, as in its
 * query-commands.
 */
export const LEGACY_FACADE_SCHEMA: SchemaContribution = {
  migrate: "own",
  "migrate-incoming": "own",
  migrate_cancel: "own",
  "migrate-continue": "own",
  "migrate-start-postcopy": "own",
  "migrate-pause": "own",
  "migrate-recover": "own",
  "query-migrate": "own",
  MIGRATION: "own",
};
