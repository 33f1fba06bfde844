/**
 * Discovery through introspection (issue 13, decision 0006): a schema-driven client (libvirt's
 * probes, generated Go/Rust clients) must find the API in `query-qmp-schema` — conventions kept,
 * in agreement with `query-commands`, every listed command answered, the migration API there.
 */
import type { JobScenario, SideTrace } from "./job-scenario.ts";

const checks = (view: "jobs" | "legacy"): string[] =>
  ["conventions", "query-commands", "commands answered", "migration api"].map(
    (check) => `schema ${view} ${check}: ok`,
  );
const replies = (lines: string[]): SideTrace => ({ events: [], replies: lines });

export const SCHEMA_SCENARIOS: readonly JobScenario[] = [
  {
    name: "jobs/schema-job-api",
    tags: ["schema"],
    doc:
      "query-qmp-schema of the job API, on both sides: QEMU's introspection conventions hold (names " +
      "unique, every type defined, masked names, enums and unions complete), it lists the commands " +
      "query-commands lists and each of them is answered (probed with an argument no command has, " +
      "refused before anything runs), and it names job-migrate, job-migrate-incoming, job-change, " +
      "JOB_SUBSTATUS_CHANGE, and `migration` in query-jobs' JobType with JobInfo's migration branch.",
    steps: [{ schema: "jobs" }, { schema: "jobs", on: "destination" }],
    expect: { source: replies(checks("jobs")), destination: replies(checks("jobs")) },
  },
  {
    name: "jobs/schema-legacy-over-jobs",
    tags: ["schema"],
    doc:
      "query-qmp-schema of a legacy facade put over the job API: the same conventions and agreement, " +
      "and the legacy API (migrate, migrate-incoming, migrate_cancel, migrate-continue, query-migrate, " +
      "MIGRATION) described as the legacy facade accepts it.",
    steps: [{ schema: "legacy" }],
    expect: { source: replies(checks("legacy")) },
    facadeOnly: "the legacy facade needs a second connection, and this QEMU's one monitor is the client's",
  },
];
