/**
 * The `jobshim` command line. Each subcommand lives in its own module under cli/commands/ and
 * registers itself on the program; this file only assembles them and turns failures into one
 * clear line on stderr and a non-zero exit.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { registerCodegenCommand } from "./commands/codegen.ts";
import { registerConformanceCommand } from "./commands/conformance.ts";
import { registerDemoCommand } from "./commands/demo.ts";
import { registerIntrospectCommand } from "./commands/introspect.ts";
import { registerMigrateCommand } from "./commands/migrate.ts";
import { registerProxyCommand } from "./commands/proxy.ts";
import { registerQmpCommand } from "./commands/qmp.ts";
import { registerSchemaCommand } from "./commands/schema.ts";
import { registerShellCommand } from "./commands/shell.ts";
import { EXIT_USAGE } from "./exit-codes.ts";
import { projectRoot } from "./project-paths.ts";
import { reportFailure } from "./report-failure.ts";

const program = new Command("jobshim")
  .description("QEMU live migration as a generic QMP job, and back")
  .version(packageVersion(), "-V, --version", "print jobshim's version")
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) });

registerSchemaCommand(program);
registerCodegenCommand(program);
registerIntrospectCommand(program);
registerQmpCommand(program);
registerShellCommand(program);
registerProxyCommand(program);
registerDemoCommand(program);
registerMigrateCommand(program);
registerConformanceCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Commander has already printed its one line; a bad command line is a usage error (2).
  if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
  else process.exitCode = reportFailure(error);
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as { version: string };
  return manifest.version;
}
