import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { codegenTarget } from "../../../cli/commands/codegen.ts";
import { GENERATED_NOTICE } from "../../../codegen/generated-file.ts";
import { projectRoot } from "../../helpers/paths.ts";
import { qemuSchemaFile } from "../../helpers/qemu-sources.ts";
import { runJobshim } from "../run-jobshim.ts";

const scratch = mkdtempSync(path.join(tmpdir(), "jobshim-codegen-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const projectSchema = path.join(projectRoot, "schema/jobshim.json");

describe("jobshim codegen", () => {
  it("reports the project's src/generated as up to date", () => {
    const run = runJobshim(["codegen", "--check"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/up to date \(\d+ files\)/);
  });

  it("--check fails in one line naming the stale file, and writes nothing", () => {
    const out = path.join(scratch, "stale");
    expect(runJobshim(["codegen", "--schema", projectSchema, "--out", out]).status).toBe(0);
    writeFileSync(path.join(out, "registry.ts"), `// ${GENERATED_NOTICE}\n// edited by hand\n`);
    const run = runJobshim(["codegen", "--schema", projectSchema, "--out", out, "--check"]);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain("registry.ts");
    const fixed = runJobshim(["codegen", "--schema", projectSchema, "--out", out]);
    expect(fixed.stdout).toContain("1 written");
  });

  it("refuses --schema without --out", () => {
    const run = runJobshim(["codegen", "--schema", projectSchema]);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe("jobshim: --schema needs --out DIR\n");
  });
});

describe("jobshim codegen never destroys the user's files (issue 15)", () => {
  it("keeps a file of the user's elsewhere in --out, and says so", () => {
    const out = path.join(scratch, "kept");
    mkdirSync(path.join(out, "mine"), { recursive: true });
    writeFileSync(path.join(out, "README.md"), "my notes\n");
    writeFileSync(path.join(out, "mine", "extra.ts"), "export const extra = 1;\n");
    const run = runJobshim(["codegen", "--schema", projectSchema, "--out", out]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("kept 2 file(s) not written by jobshim codegen: README.md, mine/extra.ts");
    expect(readFileSync(path.join(out, "README.md"), "utf8")).toBe("my notes\n");
    expect(readFileSync(path.join(out, "mine", "extra.ts"), "utf8")).toBe("export const extra = 1;\n");
    expect(readdirSync(out)).toEqual(expect.arrayContaining(["types.ts", "introspection.json"]));
  });

  it("fails in one clear line, writing nothing, when a file of the user's is where an output goes", () => {
    const out = path.join(scratch, "conflict");
    mkdirSync(out);
    writeFileSync(path.join(out, "types.ts"), "export type Mine = 1;\n");
    const run = runJobshim(["codegen", "--schema", projectSchema, "--out", out]);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain(`${path.join(out, "types.ts")}: not written by jobshim codegen`);
    expect(readFileSync(path.join(out, "types.ts"), "utf8")).toBe("export type Mine = 1;\n");
    expect(readdirSync(out)).toEqual(["types.ts"]);
  });
});

describe("jobshim codegen with no arguments", () => {
  const fakePackage = (where: string, withSources: boolean) => {
    mkdirSync(path.join(where, "schema"), { recursive: true });
    cpSync(path.join(projectRoot, "package.json"), path.join(where, "package.json"));
    if (withSources) {
      mkdirSync(path.join(where, "codegen"));
      mkdirSync(path.join(where, "src", "generated"), { recursive: true });
      writeFileSync(path.join(where, "codegen", "pipeline.ts"), "");
    }
    return where;
  };

  it("regenerates the source checkout's own src/generated", () => {
    expect(codegenTarget({})).toEqual({
      schemaPath: path.join(projectRoot, "schema/jobshim.json"),
      outDir: path.join(projectRoot, "src/generated"),
      own: true,
    });
  });

  it("refuses in an installed package inside node_modules, and says why", () => {
    const root = fakePackage(path.join(scratch, "app", "node_modules", "jobshim"), true);
    expect(() => codegenTarget({}, root)).toThrow(
      `codegen without --schema regenerates jobshim's own sources, but ${root} is an installed package (inside node_modules): pass --schema FILE --out DIR`,
    );
  });

  it("refuses in a package that ships no sources (dist/ only), and says why", () => {
    const root = fakePackage(path.join(scratch, "unpacked"), false);
    expect(() => codegenTarget({}, root)).toThrow(/is an installed package, not a source checkout/);
  });

  it("still generates jobshim's own schema into a directory of the user's from an installed package", () => {
    const root = fakePackage(path.join(scratch, "app2", "node_modules", "jobshim"), false);
    expect(codegenTarget({ out: "/tmp/x" }, root)).toEqual({
      schemaPath: path.join(root, "schema/jobshim.json"),
      outDir: "/tmp/x",
      own: false,
    });
  });
});

describe.each(["7.2", "10.0"] as const)("jobshim codegen over QEMU %s's whole schema", (version) => {
  const qemuSchema = qemuSchemaFile(version);
  it.skipIf(qemuSchema === undefined)(
    "generates it into --out in its language, then finds it up to date",
    () => {
      const out = path.join(scratch, `qemu-${version}`);
      const args = ["codegen", "--qapi-version", version, "--schema", qemuSchema ?? "", "--out", out];
      const first = runJobshim(args);
      expect(first.stderr).toBe("");
      expect(first.status).toBe(0);
      expect(readdirSync(out).sort()).toEqual(
        expect.arrayContaining(["introspection.json", "json-schemas.ts", "registry.ts", "types.ts"]),
      );
      const again = runJobshim([...args, "--check"]);
      expect(again.stdout).toContain("up to date");
      expect(again.status).toBe(0);
    },
  );
});
