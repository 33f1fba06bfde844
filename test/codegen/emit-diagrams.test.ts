import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { emitDiagrams } from "../../codegen/emit-diagrams.ts";
import { loadSchema } from "../../codegen/frontend.ts";
import { GENERATED_NOTICE } from "../../codegen/generated-file.ts";
import type { StateMachine } from "../../codegen/ir.ts";
import { projectRoot } from "../helpers/paths.ts";
import { expectGolden, toySchema } from "./state-machine-fixtures.ts";

const DOT = "/usr/bin/dot";
const haveDot = existsSync(DOT);
if (!haveDot)
  console.warn(`SKIPPED: ${DOT} is missing, so 'dot -Tsvg' acceptance of the emitted DOT is NOT tested`);

const files = emitDiagrams(toySchema());
const byPath = new Map(files.map((f) => [f.path, f.content]));

describe("emitDiagrams", () => {
  it("emits DOT and Mermaid per machine, and mapping diagrams for the refining one", () => {
    expect(files.map((f) => f.path)).toEqual([
      "diagrams/JobStateMachine.dot",
      "diagrams/JobStateMachine.mmd",
      "diagrams/ToyStateMachine.dot",
      "diagrams/ToyStateMachine.mmd",
      "diagrams/ToyStateMachine-mapping.dot",
      "diagrams/ToyStateMachine-mapping.mmd",
    ]);
    for (const f of files) expect(f.content.split("\n")[0]).toContain(GENERATED_NOTICE);
  });

  it.each(files.map((f) => f.path))("matches the golden %s", (p) => {
    expectGolden(p.replace("diagrams/", "diagrams-"), byPath.get(p) ?? "");
  });

  it("draws every transition of every machine exactly once", () => {
    const schema = toySchema();
    for (const m of schema.entities.filter((e): e is StateMachine => e.meta === "state-machine")) {
      const dot = byPath.get(`diagrams/${m.name}.dot`) ?? "";
      const edges = dot.split("\n").filter((l) => l.includes(" -> ") && !l.includes("(start)"));
      const expected = Object.entries(m.transitions).flatMap(([from, ts]) =>
        ts.map((t) => `"${from}" -> "${t.to}"`),
      );
      expect(edges.map((l) => l.trim().replace(/ \[.*$|;$/g, ""))).toEqual(expected);
    }
  });

  it("puts each own state inside the cluster of the refined state it maps to", () => {
    const mapping = byPath.get("diagrams/ToyStateMachine-mapping.dot") ?? "";
    const pending = mapping.slice(
      mapping.indexOf('"cluster pending"'),
      mapping.indexOf("}", mapping.indexOf('"cluster pending"')),
    );
    expect(pending).toContain('"pre-switchover";');
    expect(pending).toContain('"device";');
    expect(pending).not.toContain('"active";');
    expect(mapping).toContain('"active" -> "completed" [label="via waiting, pending"];');
  });

  it.skipIf(!haveDot).each(files.filter((f) => f.path.endsWith(".dot")).map((f) => f.path))(
    "'dot -Tsvg' accepts %s",
    (p) => {
      const result = spawnSync(DOT, ["-Tsvg"], { input: byPath.get(p), encoding: "utf8" });
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      expect(result.stdout).toContain("<svg");
    },
  );
});

describe("emitDiagrams over schema/jobshim.json", () => {
  const real = emitDiagrams(loadSchema(path.join(projectRoot, "schema/jobshim.json")));

  it("draws the job machine and a mapping diagram per refining machine", () => {
    expect(real.map((f) => f.path)).toContain("diagrams/JobStateMachine.dot");
    expect(real.filter((f) => f.path.endsWith("-mapping.dot")).length).toBeGreaterThan(0);
  });

  it.skipIf(!haveDot)("is accepted by 'dot -Tsvg', every file", () => {
    for (const f of real.filter((x) => x.path.endsWith(".dot"))) {
      const result = spawnSync(DOT, ["-Tsvg"], { input: f.content, encoding: "utf8" });
      expect(result.stderr, f.path).toBe("");
      expect(result.status, f.path).toBe(0);
    }
  });
});
