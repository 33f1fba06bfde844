/**
 * Races through the job API alone (issue 6), as fast-check model-based tests: `fc.commands` of
 * job verbs from several clients and steps of QEMU's migration thread, run by
 * `fc.scheduledModelRun` over job facade ∘ scheduled scripted QEMU (race-jobs.ts). Every reply
 * must be an acceptance where JobVerbTable allows a status the job had between invocation and
 * reply, or QEMU's exact refusal naming such a status; every JOB_STATUS_CHANGE a JobSTT step;
 * query-jobs at the end as the events told.
 *
 * Sizes: the four named races run 60 times each with at most 5 commands; the free-for-all runs
 * 80 times with at most 8 commands, all from a fixed seed (RACE_SEED, race-scheduling.ts). The
 * file takes about 2 s. Nothing is tolerated: the facade bugs these runs found (a legacy refusal
 * reaching a job client; two job-migrates in flight crediting one's setup to the other) are
 * fixed, and the checks hold the fixed behaviour.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type JobId,
  type JobModel,
  JobRace,
  JobThreadStep,
  type JobVerb,
  MigrateCommand,
  VerbCommand,
} from "./race-jobs.ts";
import { RACE_SEED } from "./race-scheduling.ts";

type Prelude = Parameters<typeof JobRace.open>[1];

const verb = (v: JobVerb, id: JobId = "a") => fc.constant(new VerbCommand(v, id));
const advance = fc.constant(new JobThreadStep("advance"));

/** Runs one generated command list on a fresh job facade; returns every reply. */
async function race(
  s: fc.Scheduler,
  prelude: Prelude,
  commands: Iterable<fc.AsyncCommand<JobModel, JobRace>>,
): Promise<string[]> {
  const real = await JobRace.open(s, prelude);
  try {
    await fc.scheduledModelRun(s, () => ({ model: { inFlight: new Set<string>() }, real }), commands);
    await real.finish(s);
    return real.ops.map((op) => `${op.label}: ${op.reply}`);
  } finally {
    real.close();
  }
}

const NAMED = { numRuns: 60, ...RACE_SEED };
const NAMED_SIZE = { maxCommands: 5 };
const RUNNING: Prelude = [{ migrate: "a", autoFinalize: true }, "advance"];
const PENDING: Prelude = [{ migrate: "a", autoFinalize: false }, "advance", "advance"];
const CONCLUDED: Prelude = [{ migrate: "a", autoFinalize: true }, "advance", "advance"];

/** Runs a named race and counts the replies seen, so the test can show both orders happened. */
async function named(prelude: Prelude, commands: fc.Arbitrary<Iterable<fc.AsyncCommand<JobModel, JobRace>>>) {
  const replies = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(fc.scheduler(), commands, async (s, cmds) => {
      for (const reply of await race(s, prelude, cmds)) replies.set(reply, (replies.get(reply) ?? 0) + 1);
    }),
    NAMED,
  );
  return replies;
}

const refused = (replies: Map<string, number>, prefix: string) =>
  [...replies.keys()].some((r) => r.startsWith(prefix) && !r.endsWith(": ok"));

describe("job-API races as scheduled model runs (fc.commands + fc.scheduledModelRun)", () => {
  it("job-cancel vs completion (60 runs, ≤ 5 commands)", async () => {
    const replies = await named(RUNNING, fc.commands([verb("cancel"), advance], NAMED_SIZE));
    console.log(`job-cancel vs completion: ${[...replies.keys()].join(" | ")}`);
    expect(replies.has("job-cancel a: ok")).toBe(true);
    expect(refused(replies, "job-cancel a")).toBe(true); // some cancel came after the end
  });

  it("job-finalize vs job-cancel at the pending hold (60 runs, ≤ 5 commands)", async () => {
    const commands = fc.commands([verb("finalize"), verb("cancel"), advance], NAMED_SIZE);
    const replies = await named(PENDING, commands);
    console.log(`job-finalize vs job-cancel: ${[...replies.keys()].join(" | ")}`);
    expect(replies.has("job-finalize a: ok")).toBe(true);
    expect(refused(replies, "job-finalize a")).toBe(true); // a cancel got in first
    // ... and the refusal is the job's, for the status once the facade caught up with QEMU.
    expect(
      replies.has("job-finalize a: Job 'a' in state 'aborting' cannot accept command verb 'finalize'"),
    ).toBe(true);
  });

  it("job-dismiss of the ended job vs job-migrate of a new one (60 runs, ≤ 5 commands)", async () => {
    const migrateB = fc.constant(new MigrateCommand("b", true));
    const commands = fc.commands([verb("dismiss"), migrateB, advance], NAMED_SIZE);
    const replies = await named(CONCLUDED, commands);
    console.log(`job-dismiss vs job-migrate: ${[...replies.keys()].join(" | ")}`);
    expect(replies.has("job-dismiss a: ok")).toBe(true);
    expect(replies.has("job-migrate b: ok")).toBe(true);
  });

  it("two job-migrates from two clients at once (60 runs, ≤ 5 commands)", async () => {
    const migrate = (id: JobId, autoFinalize: boolean) => fc.constant(new MigrateCommand(id, autoFinalize));
    const commands = fc.commands(
      [migrate("a", true), migrate("b", true), migrate("b", false), advance],
      NAMED_SIZE,
    );
    const replies = await named([], commands);
    console.log(`job-migrate vs job-migrate: ${[...replies.keys()].join(" | ")}`);
    expect(replies.has("job-migrate b: ok")).toBe(true);
    expect(replies.has("job-migrate b: There's a migration process in progress")).toBe(true);
  });

  it("free-for-all (80 runs, ≤ 8 commands, every verb on two job IDs, both thread steps)", async () => {
    const ids: JobId[] = ["a", "b"];
    const all = fc.commands(
      [
        ...ids.flatMap((id) =>
          (["cancel", "finalize", "dismiss", "complete"] as const).map((v) => verb(v, id)),
        ),
        fc.constantFrom(...ids).chain((id) => fc.boolean().map((af) => new MigrateCommand(id, af))),
        advance,
        fc.constant(new JobThreadStep("break")),
      ],
      { maxCommands: 8 },
    );
    const outcomes = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.constantFrom<Prelude>([], RUNNING, PENDING, CONCLUDED),
        all,
        async (s, prelude, cmds) => {
          for (const reply of await race(s, prelude, cmds)) outcomes.add(reply);
        },
      ),
      { numRuns: 80, ...RACE_SEED },
    );
    console.log(`free-for-all: ${outcomes.size} distinct replies`);
    expect(outcomes.size).toBeGreaterThan(10);
  });
});
