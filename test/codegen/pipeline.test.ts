import path from "node:path";
import { describe, expect, it } from "vitest";
import type { QapiDialect } from "../../codegen/dialect.ts";
import { loadSchema } from "../../codegen/frontend.ts";
import { GENERATED_NOTICE } from "../../codegen/generated-file.ts";
import { generateFiles } from "../../codegen/pipeline.ts";
import { projectRoot } from "../helpers/paths.ts";
import { qemuSchemaFile } from "../helpers/qemu-sources.ts";

const schemas: [string, string, QapiDialect][] = [
  ["the project's schema", path.join(projectRoot, "schema/jobshim.json"), "7.2"],
];
for (const version of ["7.2", "10.0"] as const) {
  const file = qemuSchemaFile(version);
  if (file !== undefined) schemas.push([`QEMU ${version}'s whole schema`, file, version]);
}

describe.each(schemas)("codegen over %s", (_name, schemaPath, dialect) => {
  const load = () => loadSchema(schemaPath, { dialect });
  it("is deterministic: two loads and two generations give identical bytes", async () => {
    const first = await generateFiles(load());
    const second = await generateFiles(load());
    expect(second.map((f) => f.path)).toEqual(first.map((f) => f.path));
    for (const [i, file] of second.entries()) expect(file.content, file.path).toBe(first[i]?.content);
  });

  it("renders types.ts identically with both engines (decision 0002)", async () => {
    const schema = load();
    const types = async (engine: "direct" | "json-schema-to-typescript") =>
      (await generateFiles(schema, { typesEngine: engine })).find((f) => f.path === "types.ts")?.content;
    const direct = await types("direct");
    expect(direct).toContain("export interface QmpCommands");
    expect(direct).toBe(await types("json-schema-to-typescript"));
  });

  it("marks every generated file that can hold a comment as generated", async () => {
    const files = await generateFiles(load());
    const commentable = files.filter((f) => !f.path.endsWith(".json"));
    expect(commentable.length).toBeGreaterThan(3);
    for (const file of commentable) expect(file.content.slice(0, 300), file.path).toContain(GENERATED_NOTICE);
  });
});
