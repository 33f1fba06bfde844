/**
 * Races (issue 6): fast-check's scheduler decides when each command reaches QEMU and when QEMU's
 * migration thread moves on, for cancel vs completion, continue vs cancel, and dismiss vs a new
 * migrate. Legacy races run through legacy facade ∘ job facade ∘ scripted QEMU and must be
 * linearisable: the client's replies, MIGRATION events and final query-migrate equal those of
 * some serial order of the same operations in the pure legacy model. Every JOB_STATUS_CHANGE
 * the job facade tells must be a JobSTT step.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JobFacade } from "../../adapters/job-facade/facade.ts";
import type { JsonObject } from "../../src/qmp/json-value.ts";
import { sttAllows } from "../helpers/qemu-job-tables.ts";
import * as legacy from "./legacy-model.ts";
import { ACTIONS, type Action, Client, call, quiesce, startStack } from "./legacy-traces.ts";
import { ScriptedQemu } from "./scripted-qemu.ts";

/** QEMU whose command arrivals and thread steps wait for the scheduler once it is set. */
class ScheduledQemu extends ScriptedQemu {
  scheduler: fc.Scheduler | undefined;
  override async execute(command: string, args: JsonObject = {}) {
    if (this.scheduler && command !== "query-migrate")
      await this.scheduler.schedule(Promise.resolve(), command);
    return super.execute(command, args);
  }
  scheduledStep(kind: "advance" | "break"): Promise<void> {
    return (this.scheduler as fc.Scheduler)
      .schedule(Promise.resolve(), kind)
      .then(() => this.environment(kind));
  }
}

const act = (name: string) => ACTIONS.find((a) => a.name === name) as Action;

/** Runs the scheduler until `work` is done (facade timers may add tasks late). */
async function drain(s: fc.Scheduler, work: Promise<unknown>): Promise<void> {
  let done = false;
  void work.finally(() => {
    done = true;
  });
  const deadline = Date.now() + 3000;
  // Each round first lets every reaction in flight schedule its next QEMU access, so the
  // scheduler chooses among all of them, not just the ones that happened to get there first.
  while ((!done || s.count() > 0) && Date.now() < deadline) {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    if (s.count() > 0) await s.waitOne();
  }
}

/** Every JOB_STATUS_CHANGE of each job follows JobSTT from 'undefined'. */
function illegalJobSteps(events: JsonObject[]): string[] {
  const last = new Map<string, string>();
  const out: string[] = [];
  for (const e of events) {
    if (e.event !== "JOB_STATUS_CHANGE") continue;
    const { id, status } = e.data as { id: string; status: string };
    const from = last.get(id) ?? "undefined";
    if (!sttAllows(from, status)) out.push(`${id}: ${from} → ${status}`);
    last.set(id, status);
  }
  return out;
}

interface Outcome {
  replies: Record<string, string>;
  events: string[];
  final: string;
}

const replyText = (r: legacy.Reply) => (r.ok ? "ok" : r.desc);

function modelStep(s: legacy.LegacyState, name: string): legacy.Step {
  switch (name) {
    case "cancel":
      return legacy.cancel(s);
    case "continue":
      return legacy.continueFrom(s, "pre-switchover");
    case "advance":
      return legacy.advance(s);
    default:
      throw new Error(name);
  }
}

/** The outcomes of every serial order of the client's commands among the thread's steps. */
function serialOutcomes(start: legacy.LegacyState, commands: string[], steps: number): Set<string> {
  const outcomes = new Set<string>();
  const go = (s: legacy.LegacyState, left: string[], stepsLeft: number, o: Outcome) => {
    if (left.length === 0 && stepsLeft === 0) {
      outcomes.add(JSON.stringify({ ...o, final: s.status }));
      return;
    }
    const take = (name: string, rest: string[], nextSteps: number) => {
      const step = modelStep(s, name);
      const replies = name === "advance" ? o.replies : { ...o.replies, [name]: replyText(step.reply) };
      go(step.state, rest, nextSteps, { replies, events: [...o.events, ...step.statuses], final: "" });
    };
    left.forEach((name, i) => {
      take(
        name,
        left.filter((_, j) => j !== i),
        stepsLeft,
      );
    });
    if (stepsLeft > 0) take("advance", left, stepsLeft - 1);
  };
  go(start, commands, steps, { replies: {}, events: [], final: "" });
  return outcomes;
}

/** Brings a stack to `prelude`, then races `commands` against `steps` thread steps. */
async function legacyRace(s: fc.Scheduler, prelude: string[], commands: string[], steps: number) {
  const qemu = new ScheduledQemu();
  const stack = await startStack(qemu);
  const names: Record<string, string> = { cancel: "migrate_cancel", continue: "migrate-continue" };
  try {
    for (const name of prelude) {
      const a = act(name);
      if (a.environment) qemu.environment(a.environment);
      else if (a.command) await stack.run(stack.client, a.command.name, a.command.args);
      await quiesce(stack.jobs);
    }
    const start = qemu.state;
    const before = stack.client.events.length;
    qemu.scheduler = s;
    const replies: Record<string, string> = {};
    const work = Promise.all([
      ...commands.map((name) =>
        stack
          .run(stack.client, names[name] as string, name === "continue" ? { state: "pre-switchover" } : {})
          .then(
            () => {
              replies[name] = "ok";
            },
            (e: { desc?: string }) => {
              replies[name] = String(e.desc);
            },
          ),
      ),
      ...Array.from({ length: steps }, () => qemu.scheduledStep("advance")),
    ]);
    await drain(s, work);
    await work;
    qemu.scheduler = undefined;
    await quiesce(stack.jobs);
    const final = (await stack.run(stack.client, "query-migrate")) as JsonObject;
    const observed = JSON.stringify({
      replies,
      events: stack.client.events.slice(before),
      final: String(final.status ?? "none"),
    });
    return {
      observed,
      allowed: serialOutcomes(start, commands, steps),
      illegal: illegalJobSteps(stack.jobEvents),
    };
  } finally {
    stack.facade.close();
    stack.jobs.close();
  }
}

const sortedReplies = (text: string) => {
  const o = JSON.parse(text) as Outcome;
  return JSON.stringify({ ...o, replies: Object.fromEntries(Object.entries(o.replies).sort()) });
};

const RUNS = { numRuns: 60 };

describe("races under fast-check's scheduler", () => {
  it("cancel vs completion: linearisable, legal job steps", async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), async (s) => {
        const r = await legacyRace(s, ["caps events", "migrate", "advance"], ["cancel"], 2);
        seen.add(JSON.parse(r.observed).final);
        expect(r.illegal).toEqual([]);
        expect([...r.allowed].map(sortedReplies), `observed ${r.observed}`).toContain(
          sortedReplies(r.observed),
        );
      }),
      RUNS,
    );
    console.log(`cancel vs completion: outcomes seen ${[...seen].join(", ")}`);
    expect(seen.size).toBeGreaterThan(1); // the scheduler did reach both orders
  });

  it("continue vs cancel at the switchover hold: linearisable, legal job steps", async () => {
    const seen = new Set<string>();
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), async (s) => {
        const prelude = ["caps events", "caps pause-before-switchover", "migrate", "advance", "advance"];
        const r = await legacyRace(s, prelude, ["continue", "cancel"], 2);
        seen.add(JSON.parse(r.observed).final);
        expect(r.illegal).toEqual([]);
        // No allowance: a cancel that gets in between the facade's check and its job-finalize
        // must give QEMU's "Migration not in expected state", never the job API's refusal.
        if (JSON.parse(r.observed).replies.continue !== "ok") refused++;
        expect([...r.allowed].map(sortedReplies), `observed ${r.observed}`).toContain(
          sortedReplies(r.observed),
        );
      }),
      RUNS,
    );
    console.log(
      `continue vs cancel: outcomes seen ${[...seen].join(", ")}; continue refused in ${refused} runs`,
    );
    expect(seen.size).toBeGreaterThan(1);
    expect(refused).toBeGreaterThan(0); // the scheduler did put the cancel first
  });

  it("job-dismiss of the ended job vs job-migrate of a new one: both succeed, legal job steps", async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), async (s) => {
        const qemu = new ScheduledQemu();
        const jobs = await JobFacade.attach(qemu, { pollIntervalMs: 0 });
        const client = new Client();
        const told: JsonObject[] = [];
        const recorder = { negotiated: true, send: (m: JsonObject) => told.push(m) };
        jobs.addClient(client);
        jobs.addClient(recorder);
        const run = call(jobs.handlers, (c) => jobs.passThrough(c));
        try {
          await run(client, "job-migrate", { "job-id": "old", uri: "tcp:h:1", "auto-dismiss": false });
          qemu.environment("advance");
          qemu.environment("advance");
          await quiesce(jobs);
          qemu.scheduler = s;
          const results: string[] = [];
          const work = Promise.all([
            run(client, "job-dismiss", { id: "old" }).then(() => results.push("dismiss ok")),
            run(client, "job-migrate", { "job-id": "new", uri: "tcp:h:1", "auto-dismiss": false }).then(() =>
              results.push("migrate ok"),
            ),
          ]);
          await drain(s, work);
          await work;
          qemu.scheduler = undefined;
          await quiesce(jobs);
          const listed = ((await run(client, "query-jobs")) as JsonObject[]).map(
            (j) => `${j.id}:${j.status}`,
          );
          expect(results.sort()).toEqual(["dismiss ok", "migrate ok"]);
          expect(listed).toEqual(["new:running"]);
          expect(illegalJobSteps(told)).toEqual([]);
        } finally {
          jobs.close();
        }
      }),
      RUNS,
    );
  });
});
