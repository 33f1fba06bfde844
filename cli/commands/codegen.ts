import { type Command, Option } from "commander";
import { loadSchema } from "../../codegen/frontend.ts";
import { generateFiles } from "../../codegen/pipeline.ts";
import { renderDiagramsToSvg } from "../../codegen/render-svg.ts";
import { syncOutput } from "../../codegen/write-output.ts";
import { displayPath, projectDiagramsDir, projectOutDir, projectSchema } from "../project-paths.ts";

interface CodegenFlags {
  check?: boolean;
  schema?: string;
  out?: string;
  unmask?: boolean;
  define?: string[];
  typesEngine?: "direct" | "json-schema-to-typescript";
}

/**
 * `jobshim codegen [--check] [--schema FILE --out DIR]`. Without --schema it regenerates the
 * project's own `src/generated/` from `schema/jobshim.json` (and the SVG diagrams in docs/).
 */
export function registerCodegenCommand(program: Command): void {
  program
    .command("codegen")
    .description("generate types, validators, tables, introspection and diagrams from a QAPI schema")
    .option("--check", "write nothing; exit 1 if the output is stale")
    .option("--schema <file>", "a QAPI schema of your own (default: the project's schema/jobshim.json)")
    .option("--out <dir>", "output directory (required with --schema)")
    .option("--unmask", "keep real type names in the introspection output")
    .option("--define <symbol...>", "config symbols that hold when evaluating 'if' (default: all hold)")
    .addOption(
      new Option("--types-engine <engine>", "who renders types.ts (identical output)")
        .choices(["direct", "json-schema-to-typescript"])
        .default("direct"),
    )
    .action(async (flags: CodegenFlags) => runCodegenCommand(flags));
}

async function runCodegenCommand(flags: CodegenFlags): Promise<void> {
  if (flags.schema !== undefined && flags.out === undefined) throw new Error("--schema needs --out DIR");
  const schemaPath = flags.schema ?? projectSchema;
  const outDir = flags.out ?? projectOutDir;
  const defined = flags.define ? new Set(flags.define) : undefined;
  const files = await generateFiles(loadSchema(schemaPath), {
    unmask: flags.unmask ?? false,
    typesEngine: flags.typesEngine ?? "direct",
    ...(defined ? { isDefined: (symbol: string) => defined.has(symbol) } : {}),
  });
  const report = syncOutput(outDir, files, { check: flags.check ?? false });
  const stale = [...report.changed, ...report.obsolete];
  const where = displayPath(outDir);
  if (flags.check) {
    if (stale.length > 0) throw new Error(`${where} is stale (${stale.join(", ")}): run 'npm run codegen'`);
    process.stdout.write(`${where}: up to date (${files.length} files)\n`);
    return;
  }
  process.stdout.write(
    `${where}: ${files.length} files, ${report.changed.length} written, ${report.obsolete.length} removed\n`,
  );
  if (flags.schema === undefined) reportSvg(renderDiagramsToSvg(files, projectDiagramsDir));
}

function reportSvg(result: ReturnType<typeof renderDiagramsToSvg>): void {
  if (result.skipped) process.stdout.write(`diagrams: not rendered to SVG: ${result.skipped}\n`);
  else
    process.stdout.write(
      `diagrams: ${result.rendered.length} SVG files in ${displayPath(projectDiagramsDir)}\n`,
    );
}
