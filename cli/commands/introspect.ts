import type { Command } from "commander";
import { emitIntrospection } from "../../codegen/emit-introspection.ts";
import { loadSchema } from "../../codegen/frontend.ts";

/** `jobshim introspect FILE [--unmask]`: prints what `query-qmp-schema` would return for FILE. */
export function registerIntrospectCommand(program: Command): void {
  program
    .command("introspect")
    .description("print the schema as QEMU's query-qmp-schema returns it")
    .argument("<file>", "the main schema file")
    .option("--unmask", "keep real type names instead of masked numbers")
    .option("--define <symbol...>", "config symbols that hold when evaluating 'if' (default: all hold)")
    .action((file: string, flags: { unmask?: boolean; define?: string[] }) => {
      const defined = flags.define ? new Set(flags.define) : undefined;
      const files = emitIntrospection(loadSchema(file), {
        unmask: flags.unmask ?? false,
        ...(defined ? { isDefined: (symbol: string) => defined.has(symbol) } : {}),
      });
      const json = files.find((f) => f.path.endsWith(".json"));
      if (!json) throw new Error("the introspection emitter produced no JSON");
      process.stdout.write(json.content.endsWith("\n") ? json.content : `${json.content}\n`);
    });
}
