/**
 * The schema's docs in the generated types (issue 15 part 6): JSDoc on definitions and members
 * from the doc comments, `@deprecated` from the `deprecated` feature, `@since` from the doc,
 * rendered the same by both engines and read the same from both doc-comment dialects.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { QapiDialect } from "../../codegen/dialect.ts";
import { emitTypeScript } from "../../codegen/emit-typescript.ts";
import { loadSchema } from "../../codegen/frontend.ts";
import type { Schema } from "../../codegen/ir.ts";
import { buildJsonSchemaDocuments } from "../../codegen/json-schema-documents.ts";
import { toPlainJson } from "../../codegen/json-value.ts";
import { projectRoot, qemu, qemuReleases, typecheck } from "./emit-types-helpers.ts";

const fixturePath = path.join(projectRoot, "test/fixtures/schemas/docs-fixture.json");

async function types(
  schema: Schema,
  engine: "direct" | "json-schema-to-typescript" = "direct",
): Promise<string> {
  const [file] = await emitTypeScript(schema, { engine });
  return file?.content ?? "";
}

/** A JSDoc block as the generated file spells it, followed by the line it documents. */
function block(lines: string[], declaration: string, indent = ""): string {
  const body = lines.map((line) => (line === "" ? `${indent} *` : `${indent} * ${line}`));
  return [`${indent}/**`, ...body, `${indent} */`, `${indent}${declaration}`].join("\n");
}

describe.each(["7.2", "10.0"] as QapiDialect[])(
  "JSDoc from the fixture's docs, read in QEMU %s's language",
  (dialect) => {
    const schema = loadSchema(fixturePath, { dialect });

    it("documents an enum with its overview, its values and @since", async () => {
      expect(await types(schema)).toContain(
        block(
          [
            "How a shape is coloured.  See `Shape` for where it is used.",
            "",
            "- `plain`: no colour at all",
            "- `vivid`: strong colour, spread over two lines of the doc",
            "",
            "@since 1.2",
          ],
          'export type Tint = ("plain" | "vivid")',
        ),
      );
    });

    it("documents a struct and each member; a comment end in the text cannot close the block", async () => {
      const text = await types(schema);
      expect(text).toContain(
        block(
          [
            "A shape on the canvas.",
            "",
            "A second paragraph that mentions * / which must not end the comment.",
            "",
            "@since 1.0",
          ],
          "export interface Shape {",
        ),
      );
      expect(text).toContain(block(["the shape's name"], "id: string"));
      expect(text).toContain(block(["anything the caller likes"], "extra?: unknown"));
    });

    it("keeps a documented reference a reference, and takes a member's @since from its text", async () => {
      expect(await types(schema)).toContain(
        block(["its colour (since 1.3)", "", "@since 1.3"], "tint?: Tint"),
      );
    });

    it("marks a deprecated member @deprecated, with the doc's reason", async () => {
      expect(await types(schema)).toContain(
        block(
          ["the size in old units", "", "@deprecated Use `id` instead of `old-size`."],
          '"old-size"?: number',
        ),
      );
    });

    it("documents command arguments from the command's doc, and the maps' entries", async () => {
      const text = await types(schema);
      expect(text).toContain(block(["what to draw"], "shape: Shape"));
      expect(text).toContain(
        block(
          ["Draws a shape.", "", "@since 2.0", "@returns the shape drawn"],
          '"draw": { args: QObjDrawArg; ret: Shape };',
          "  ",
        ),
      );
      expect(text).toContain(
        block(
          ["Erases a shape.", "", "@deprecated Nothing uses it any more."],
          '"erase": { args: QObjEraseArg; ret: Record<string, never> };',
          "  ",
        ),
      );
      expect(text).toContain(
        block(["A shape was drawn.", "", "@since 2.1"], '"DRAWN": QObj_DRAWNArg;', "  "),
      );
    });

    it("is rendered the same by json-schema-to-typescript, and compiles", async () => {
      const direct = await types(schema);
      expect(await types(schema, "json-schema-to-typescript")).toBe(direct);
      expect(typecheck({ "types.ts": direct })).toBe("");
    });

    it("leaves the validation schemas without descriptions (types only)", () => {
      const { input, output } = buildJsonSchemaDocuments(schema);
      expect(JSON.stringify(toPlainJson([input, output]))).not.toContain('"description"');
      const typesOnly = buildJsonSchemaDocuments(schema, { purpose: "types" }).input;
      expect(JSON.stringify(toPlainJson(typesOnly))).toContain('"description":"the shape\'s name"');
    });
  },
);

describe("JSDoc from the project's schema", () => {
  const generated = readFileSync(path.join(projectRoot, "src/generated/types.ts"), "utf8");

  it("documents JobStatus's values and its @since in the committed types.ts", () => {
    const start = generated.lastIndexOf("/**", generated.indexOf("export type JobStatus ="));
    const jsdoc = generated.slice(start, generated.indexOf("export type JobStatus ="));
    expect(jsdoc).toContain(" * - `running`: doing its work\n");
    expect(jsdoc).toContain(" * @since 2.12\n */\n");
  });

  it("documents JobInfo's members", () => {
    expect(generated).toContain(block(["the job's ID"], "id: string"));
  });
});

describe.each(qemuReleases)("JSDoc from QEMU %s's whole schema", (version) => {
  it("documents definitions and members, and marks deprecated ones", async () => {
    const text = await types(qemu(version));
    const blocks = text.match(/\/\*\*\n/g)?.length ?? 0;
    const deprecated = text.match(/ \* @deprecated/g)?.length ?? 0;
    const since = text.match(/ \* @since \d/g)?.length ?? 0;
    console.log(
      `QEMU ${version} types.ts: ${blocks} JSDoc blocks, ${deprecated} @deprecated, ${since} @since`,
    );
    expect(blocks).toBeGreaterThan(1000);
    expect(deprecated).toBeGreaterThan(5);
    expect(since).toBeGreaterThan(500);
    expect(text).toMatch(/\/\*\*\n \* Information about current migration process\.\n/);
  });
});
