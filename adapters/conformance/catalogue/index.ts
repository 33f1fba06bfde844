/**
 * The conformance catalogue: every scenario `jobshim conformance` runs, named, tagged and
 * documented. `jobs` scenarios speak the job API and carry their expected traces; `legacy`
 * scenarios speak the legacy API and are held to QEMU's own trace of the same steps.
 */
import { ADOPTION_LEGACY_SCENARIOS, ADOPTION_SCENARIOS } from "./adoption.ts";
import type { JobScenario } from "./job-scenario.ts";
import { CANCEL_SCENARIOS } from "./jobs-cancel.ts";
import { FLOW_SCENARIOS } from "./jobs-flows.ts";
import { VERB_SCENARIOS } from "./jobs-verbs.ts";
import { LEGACY_CATALOGUE, type LegacyScenario } from "./legacy.ts";
import { MORE_LEGACY_SCENARIOS } from "./legacy-more.ts";
import { SCHEMA_SCENARIOS } from "./schema.ts";
import { TRANSACTION_SCENARIOS } from "./transactions.ts";

export type CatalogueEntry =
  | { api: "jobs"; name: string; scenario: JobScenario }
  | { api: "legacy"; name: string; scenario: LegacyScenario };

const jobs = (scenario: JobScenario): CatalogueEntry => ({ api: "jobs", name: scenario.name, scenario });
const legacy = (scenario: LegacyScenario): CatalogueEntry => ({
  api: "legacy",
  name: `legacy/${scenario.name}`,
  scenario,
});

export const CATALOGUE: readonly CatalogueEntry[] = [
  ...CANCEL_SCENARIOS.map(jobs),
  ...FLOW_SCENARIOS.map(jobs),
  ...TRANSACTION_SCENARIOS.map(jobs),
  ...VERB_SCENARIOS.map(jobs),
  ...SCHEMA_SCENARIOS.map(jobs),
  ...ADOPTION_SCENARIOS.map(jobs),
  ...[...LEGACY_CATALOGUE, ...MORE_LEGACY_SCENARIOS, ...ADOPTION_LEGACY_SCENARIOS].map(legacy),
];

/**
 * The entries `--only` selects: each pattern is a whole name ("jobs/cancel-in-active"), the part
 * after the prefix ("cancel-in-active"), or a tag ("postcopy"). No pattern: everything.
 */
export function selectEntries(
  entries: readonly CatalogueEntry[],
  patterns: readonly string[],
): CatalogueEntry[] {
  if (patterns.length === 0) return [...entries];
  return entries.filter((entry) =>
    patterns.some(
      (p) =>
        entry.name === p || entry.name.split("/").slice(1).join("/") === p || entry.scenario.tags.includes(p),
    ),
  );
}
