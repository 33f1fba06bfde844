import { join } from "node:path";
import { type Command, Option } from "commander";
import type { QapiDialect } from "../../codegen/dialect.ts";
import { loadSchema } from "../../codegen/frontend.ts";
import { generateFiles } from "../../codegen/pipeline.ts";
import { renderDiagramsToSvg } from "../../codegen/render-svg.ts";
import { type OutputReport, syncOutput } from "../../codegen/write-output.ts";
import { displayPath, notASourceCheckout, projectDiagramsDir, projectRoot } from "../project-paths.ts";
import { qapiVersionOption } from "./schema.ts";

interface CodegenFlags {
  check?: boolean;
  schema?: string;
  out?: string;
  unmask?: boolean;
  define?: string[];
  typesEngine?: "direct" | "json-schema-to-typescript";
  qapiVersion?: QapiDialect;
}

/**
 * `jobshim codegen [--check] [--schema FILE] [--out DIR]`. Without either it regenerates the
 * project's own `src/generated/` from `schema/jobshim.json` (and the SVG diagrams in docs/).
 */
export function registerCodegenCommand(program: Command): void {
  program
    .command("codegen")
    .description("generate types, validators, tables, introspection and diagrams from a QAPI schema")
    .option("--check", "write nothing; exit 1 if the output is stale")
    .option("--schema <file>", "a QAPI schema of your own (default: the project's schema/jobshim.json)")
    .option(
      "--out <dir>",
      "output directory (required with --schema); files in it that jobshim did not write are never touched",
    )
    .option("--unmask", "keep real type names in the introspection output")
    .option("--define <symbol...>", "config symbols that hold when evaluating 'if' (default: all hold)")
    .addOption(
      new Option("--types-engine <engine>", "who renders types.ts (identical output)")
        .choices(["direct", "json-schema-to-typescript"])
        .default("direct"),
    )
    .addOption(qapiVersionOption())
    .action(async (flags: CodegenFlags) => runCodegenCommand(flags));
}

/** What a codegen run reads and where it writes; `own` when it is jobshim's own src/generated/. */
export interface CodegenTarget {
  schemaPath: string;
  outDir: string;
  own: boolean;
}

/**
 * Without --schema the run regenerates the package's own output, which only makes sense in a
 * source checkout: in an installed package it would write into node_modules, so it refuses.
 */
export function codegenTarget(
  flags: Pick<CodegenFlags, "schema" | "out">,
  root = projectRoot,
): CodegenTarget {
  if (flags.schema !== undefined) {
    if (flags.out === undefined) throw new Error("--schema needs --out DIR");
    return { schemaPath: flags.schema, outDir: flags.out, own: false };
  }
  const schemaPath = join(root, "schema", "jobshim.json");
  // jobshim's own schema into a directory of the user's: fine from an installed package too.
  if (flags.out !== undefined) return { schemaPath, outDir: flags.out, own: false };
  const why = notASourceCheckout(root);
  if (why !== undefined)
    throw new Error(
      `codegen without --schema regenerates jobshim's own sources, but ${why}: pass --schema FILE --out DIR`,
    );
  return { schemaPath, outDir: join(root, "src", "generated"), own: true };
}

async function runCodegenCommand(flags: CodegenFlags): Promise<void> {
  const target = codegenTarget(flags);
  const defined = flags.define ? new Set(flags.define) : undefined;
  const files = await generateFiles(loadSchema(target.schemaPath, { dialect: flags.qapiVersion }), {
    unmask: flags.unmask ?? false,
    typesEngine: flags.typesEngine ?? "direct",
    ...(defined ? { isDefined: (symbol: string) => defined.has(symbol) } : {}),
  });
  const report = syncOutput(target.outDir, files, { check: flags.check ?? false });
  const stale = [...report.changed, ...report.obsolete];
  const where = displayPath(target.outDir);
  reportKept(where, report);
  if (flags.check) {
    if (stale.length > 0) throw new Error(`${where} is stale (${stale.join(", ")}): run 'npm run codegen'`);
    process.stdout.write(`${where}: up to date (${report.files} files)\n`);
    return;
  }
  process.stdout.write(
    `${where}: ${report.files} files, ${report.changed.length} written, ${report.obsolete.length} removed\n`,
  );
  if (target.own) reportSvg(renderDiagramsToSvg(files, projectDiagramsDir));
}

/** Files of the user's in the output directory are left alone; say so, so nobody wonders. */
function reportKept(where: string, report: OutputReport): void {
  if (report.kept.length === 0) return;
  process.stdout.write(
    `${where}: kept ${report.kept.length} file(s) not written by jobshim codegen: ${report.kept.join(", ")}\n`,
  );
}

function reportSvg(result: ReturnType<typeof renderDiagramsToSvg>): void {
  if (result.skipped) process.stdout.write(`diagrams: not rendered to SVG: ${result.skipped}\n`);
  else
    process.stdout.write(
      `diagrams: ${result.rendered.length} SVG files in ${displayPath(projectDiagramsDir)}\n`,
    );
}
