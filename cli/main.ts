/**
 * The `jobshim` command line. Each subcommand lives in its own module under cli/commands/ and
 * registers itself on the program; this file only assembles them and turns failures into one
 * clear line on stderr and a non-zero exit.
 */
import { Command, CommanderError } from "commander";
import { registerCodegenCommand } from "./commands/codegen.ts";
import { registerConformanceCommand } from "./commands/conformance.ts";
import { registerDemoCommand } from "./commands/demo.ts";
import { registerIntrospectCommand } from "./commands/introspect.ts";
import { registerMigrateCommand } from "./commands/migrate.ts";
import { registerProxyCommand } from "./commands/proxy.ts";
import { registerQmpCommand } from "./commands/qmp.ts";
import { registerSchemaCommand } from "./commands/schema.ts";
import { reportFailure } from "./report-failure.ts";

const program = new Command("jobshim")
  .description("QEMU live migration as a generic QMP job, and back")
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) });

registerSchemaCommand(program);
registerCodegenCommand(program);
registerIntrospectCommand(program);
registerQmpCommand(program);
registerProxyCommand(program);
registerDemoCommand(program);
registerMigrateCommand(program);
registerConformanceCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exitCode = error.exitCode;
  else process.exitCode = reportFailure(error);
}
