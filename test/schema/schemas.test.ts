/**
 * Facts the project's schemas must hold: they load; the legacy definitions have QEMU 7.2's exact
 * wire shape (checked against QEMU's own schema, loaded by the same front end); the migration
 * job machines are a refinement of the generic job machine, re-checked here against QEMU's
 * JobSTT and JobVerbTable written out literally (an oracle independent of the checker); the
 * decisions of docs/decisions/0001-migration-job-mapping.md are what the schema says.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadSchema } from "../../codegen/frontend.ts";
import type { EnumType, Schema, StateMachine } from "../../codegen/ir.ts";
import { projectRoot } from "../helpers/paths.ts";
import {
  JOB_STATES,
  sttAllows as jobEdge,
  verbTableAllows as verbAllowed,
} from "../helpers/qemu-job-tables.ts";
import { qemuSchemaFile } from "../helpers/qemu-sources.ts";
import { compareDefinition } from "./compare-types.ts";

const mainSchema = path.join(projectRoot, "schema/jobshim.json");
const OWN_FILES = ["migration.json", "migration-job.json", "qmp.json", "block-jobs.json"];

const MACHINES = [
  "MigrationJobStateMachine",
  "MigrationPostcopyJobStateMachine",
  "MigrationIncomingJobStateMachine",
];

// QEMU 7.2's own schema, from the source cache (scripts/fetch-qemu-sources.sh); only the
// comparison with QEMU's definitions needs it, the checks of our own schema run without it.
const qemuSchemaPath = qemuSchemaFile("7.2");

let ours: Schema;

beforeAll(() => {
  ours = loadSchema(mainSchema);
});

function machine(name: string): StateMachine {
  const m = ours.lookup(name);
  if (m?.meta !== "state-machine") throw new Error(`${name} is not a state machine`);
  return m;
}

function enumValues(schema: Schema, name: string): string[] {
  return (schema.lookupType(name) as EnumType).members.map((m) => m.name);
}

describe("the main schema", () => {
  it("loads, and every definition of our files is documented with a Since section", () => {
    const own = ours.entities.filter((e) => e.info && OWN_FILES.includes(path.basename(e.info.file)));
    const explicit = own.filter((e) => !(e.meta === "object" && e.implicit) && e.meta !== "array");
    expect(explicit.length).toBeGreaterThan(80);
    const undocumented = explicit.filter((e) => e.doc === undefined).map((e) => e.name);
    expect(undocumented).toEqual([]);
    const sinceless = explicit
      .filter((e) => !e.doc?.sections.some((s) => s.tag === "Since"))
      .map((e) => e.name)
      .sort();
    // QEMU gives these two no version either.
    expect(sinceless).toEqual(["InetSocketAddressBase", "RunState"]);
  });

  it("has the 'migration' job type (job.json) that the migration job relies on", () => {
    expect(enumValues(ours, "JobType")).toContain("migration");
  });

  it("query-jobs carries MigrationJobInfo for migration jobs (JobInfo union branch)", () => {
    const info = ours.lookupType("JobInfo");
    const branch =
      info.meta === "object" ? info.variants?.variants.find((v) => v.name === "migration") : undefined;
    expect(info.meta === "object" && info.variants?.tag).toBe("type");
    expect(branch?.type).toBe("MigrationJobInfo");
  });
});

// The definitions both facades pass through unchanged: same wire shape as QEMU 7.2's.
const PASS_THROUGH = [
  "migrate",
  "migrate-incoming",
  "migrate_cancel",
  "migrate-continue",
  "migrate-pause",
  "migrate-recover",
  "migrate-start-postcopy",
  "migrate-set-capabilities",
  "migrate-set-parameters",
  "query-migrate",
  "query-migrate-capabilities",
  "query-migrate-parameters",
  "MIGRATION",
  "MIGRATION_PASS",
  "qmp_capabilities",
  "query-version",
  "quit",
  "query-status",
  "STOP",
  "RESUME",
  "query-block-jobs",
  "blockdev-mirror",
  "block-job-set-speed",
  "block-job-cancel",
  "block-job-pause",
  "block-job-resume",
  "block-job-complete",
  "block-job-dismiss",
  "block-job-finalize",
  "BLOCK_JOB_COMPLETED",
  "BLOCK_JOB_CANCELLED",
  "BLOCK_JOB_ERROR",
  "BLOCK_JOB_READY",
  "BLOCK_JOB_PENDING",
];
const EXTENSIONS = { MigrationStatus: ["postcopy-recover-setup", "postcopy-device"], JobType: ["migration"] };

describe.skipIf(qemuSchemaPath === undefined)("legacy definitions match QEMU 7.2 exactly", () => {
  let qemu: Schema;
  beforeAll(() => {
    const t0 = performance.now();
    qemu = loadSchema(qemuSchemaPath as string);
    console.log(`QEMU 7.2 schema loaded in ${(performance.now() - t0).toFixed(0)} ms`);
  });

  it.each(PASS_THROUGH)("%s", (name) => {
    expect(compareDefinition(ours, qemu, name, EXTENSIONS)).toEqual([]);
  });

  it("the comparison notices a difference (migrate's uri made optional)", () => {
    const argType = ours.lookupType("q_obj_migrate-arg");
    if (argType.meta !== "object") throw new Error("no migrate arguments");
    const uri = argType.members.find((m) => m.name === "uri");
    if (!uri) throw new Error("no uri");
    uri.optional = true;
    try {
      expect(compareDefinition(ours, qemu, "migrate", EXTENSIONS)).toEqual([
        "migrate arguments (q_obj_migrate-arg).uri: optionality differs",
      ]);
    } finally {
      uri.optional = false;
    }
  });

  it("MigrationStatus keeps QEMU's order and appends exactly the later values", () => {
    const qemuValues = enumValues(qemu, "MigrationStatus");
    expect(enumValues(ours, "MigrationStatus")).toEqual([
      ...qemuValues,
      "postcopy-recover-setup",
      "postcopy-device",
    ]);
  });

  it("no doc text of ours is QEMU's", () => {
    const norm = (s: string) => s.replace(/\s+/g, " ").trim().toLowerCase();
    const copied: string[] = [];
    for (const e of ours.entities) {
      const q = qemu.lookup(e.name);
      if (!e.doc || !q?.doc) continue;
      if (e.doc.body && norm(e.doc.body) === norm(q.doc.body)) copied.push(e.name);
      for (const arg of e.doc.args) {
        const twin = q.doc.args.find((a) => a.name === arg.name);
        if (twin && arg.text.trim() && norm(arg.text) === norm(twin.text))
          copied.push(`${e.name}.${arg.name}`);
      }
    }
    expect(copied).toEqual([]);
  });
});

describe("the migration job machines refine JobStateMachine", () => {
  it.each(MACHINES)("%s maps every MigrationStatus value to a job status", (name) => {
    const m = machine(name);
    expect(m.states).toBe("MigrationStatus");
    expect(m.refinement?.machine).toBe("JobStateMachine");
    const map = m.refinement?.stateMap ?? {};
    for (const status of enumValues(ours, "MigrationStatus")) {
      expect(JOB_STATES, `${name}: ${status}`).toContain(map[status]);
    }
  });

  it.each(MACHINES)("%s: every transition is a path QEMU's JobSTT allows", (name) => {
    const m = machine(name);
    const map = m.refinement?.stateMap ?? {};
    const illegal: string[] = [];
    for (const [from, targets] of Object.entries(m.transitions)) {
      for (const t of targets) {
        const walk = [map[from], ...t.via, map[t.to]] as string[];
        if (walk.length === 2 && walk[0] === walk[1]) continue;
        for (let i = 1; i < walk.length; i++) {
          if (!jobEdge(walk[i - 1] as string, walk[i] as string))
            illegal.push(`${from}→${t.to}: ${walk.join("→")}`);
        }
      }
    }
    expect(illegal).toEqual([]);
  });

  it.each(MACHINES)(
    "%s: every verb it allows is allowed by QEMU's JobVerbTable in the mapped status",
    (name) => {
      const m = machine(name);
      const map = m.refinement?.stateMap ?? {};
      const extra: string[] = [];
      for (const [verb, states] of Object.entries(m.verbTable)) {
        for (const s of states)
          if (!verbAllowed(verb, map[s] as string)) extra.push(`${verb} in ${s} (${map[s]})`);
      }
      expect(extra).toEqual([]);
    },
  );

  it.each(MACHINES)("%s: the outcomes are terminal and concluded; dismiss only there", (name) => {
    const m = machine(name);
    for (const end of ["completed", "failed", "cancelled"]) {
      expect(m.transitions[end]).toEqual([]);
      expect(m.refinement?.stateMap[end]).toBe("concluded");
    }
    expect(m.verbTable.dismiss?.every((s) => ["completed", "failed", "cancelled"].includes(s))).toBe(true);
  });
});

// Status sequences QEMU 7.2 was seen to produce (reference doc §2), by the machine that must accept them.
const TRACES: [string, string[]][] = [
  ["MigrationJobStateMachine", ["none", "setup", "active", "completed"]],
  ["MigrationJobStateMachine", ["none", "setup", "active", "pre-switchover", "device", "completed"]],
  ["MigrationJobStateMachine", ["none", "setup", "wait-unplug", "active", "cancelling", "cancelled"]],
  ["MigrationJobStateMachine", ["none", "setup", "active", "pre-switchover", "cancelling", "cancelled"]],
  ["MigrationJobStateMachine", ["none", "setup", "failed"]],
  ["MigrationPostcopyJobStateMachine", ["none", "setup", "active", "postcopy-active", "completed"]],
  [
    "MigrationPostcopyJobStateMachine",
    ["none", "setup", "active", "pre-switchover", "postcopy-active", "completed"],
  ],
  ["MigrationPostcopyJobStateMachine", ["none", "setup", "active", "pre-switchover", "device", "completed"]],
  [
    "MigrationPostcopyJobStateMachine",
    ["active", "postcopy-active", "postcopy-paused", "postcopy-recover", "postcopy-active"],
  ],
  ["MigrationIncomingJobStateMachine", ["none", "active", "completed"]],
  [
    "MigrationIncomingJobStateMachine",
    [
      "none",
      "active",
      "postcopy-active",
      "postcopy-paused",
      "postcopy-recover",
      "postcopy-active",
      "completed",
    ],
  ],
  ["MigrationIncomingJobStateMachine", ["none", "active", "failed"]],
];

describe("observed QEMU traces are declared transitions", () => {
  it.each(TRACES)("%s accepts %j", (name, trace) => {
    const m = machine(name);
    for (let i = 1; i < trace.length; i++) {
      const from = trace[i - 1] as string;
      expect(
        m.transitions[from]?.map((t) => t.to),
        `${from}→${trace[i]}`,
      ).toContain(trace[i]);
    }
  });
});

describe("the recorded decisions", () => {
  const stateOf = (name: string, status: string) => machine(name).refinement?.stateMap[status];

  it("precopy: the switchover point is pending; finalize is migrate-continue and allowed only there", () => {
    expect(stateOf("MigrationJobStateMachine", "pre-switchover")).toBe("pending");
    expect(machine("MigrationJobStateMachine").verbTable.finalize).toEqual(["pre-switchover"]);
  });

  it("postcopy: active is ready and complete (migrate-start-postcopy) is allowed only there", () => {
    expect(stateOf("MigrationPostcopyJobStateMachine", "active")).toBe("ready");
    expect(machine("MigrationPostcopyJobStateMachine").verbTable.complete).toEqual(["active"]);
  });

  it("postcopy: mapping pre-switchover to pending instead is rejected by the checker (pending → ready)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jobshim-schema-"));
    try {
      for (const f of fs.readdirSync(path.join(projectRoot, "schema"))) {
        fs.copyFileSync(path.join(projectRoot, "schema", f), path.join(dir, f));
      }
      const file = path.join(dir, "migration-job.json");
      const text = fs.readFileSync(file, "utf8");
      const at = text.indexOf("'pre-switchover': 'standby'");
      expect(at).toBeGreaterThan(0);
      fs.writeFileSync(file, `${text.slice(0, at)}'pre-switchover': 'pending'${text.slice(at + 27)}`);
      expect(() => loadSchema(path.join(dir, "jobshim.json"))).toThrow(
        /In state-machine 'MigrationPostcopyJobStateMachine'[\s\S]*maps to 'ready' → 'pending', which 'JobStateMachine' does not allow/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("postcopy: pre-switchover is standby, so pre-switchover → postcopy-active is standby → ready", () => {
    const m = machine("MigrationPostcopyJobStateMachine");
    expect(stateOf(m.name, "pre-switchover")).toBe("standby");
    expect(m.transitions["pre-switchover"]).toContainEqual({ to: "postcopy-active", via: [], if: undefined });
  });

  it("no machine lets a job be cancelled in a postcopy state", () => {
    for (const name of MACHINES) {
      expect(machine(name).verbTable.cancel?.filter((s) => s.startsWith("postcopy"))).toEqual([]);
    }
  });

  it("the incoming job cannot be cancelled and waits in created while listening", () => {
    expect(machine("MigrationIncomingJobStateMachine").verbTable.cancel).toEqual([]);
    expect(stateOf("MigrationIncomingJobStateMachine", "none")).toBe("created");
  });

  it("substatus changes have an event of their own, a union on the job type", () => {
    const ev = ours.lookup("JOB_SUBSTATUS_CHANGE");
    expect(ev?.meta === "event" && ev.boxed && ev.argType).toBe("JobSubstatusChange");
    const data = ours.lookupType("JobSubstatusChange");
    const branches =
      data.meta === "object" ? data.variants?.variants.filter((v) => v.type !== "q_empty") : [];
    expect(branches?.map((v) => [v.name, v.type])).toEqual([["migration", "MigrationJobSubstatus"]]);
  });

  it("the decision record names every machine and every MigrationStatus value", () => {
    const record = fs.readFileSync(
      path.join(projectRoot, "docs/decisions/0001-migration-job-mapping.md"),
      "utf8",
    );
    for (const name of MACHINES) expect(record).toContain(name);
    for (const status of enumValues(ours, "MigrationStatus")) expect(record).toContain(`\`${status}\``);
  });
});
