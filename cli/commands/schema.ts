import type { Command } from "commander";
import { loadSchema } from "../../codegen/frontend.ts";
import type { Entity } from "../../codegen/ir.ts";

/** `jobshim schema check FILE`: exit 0 when the schema is valid, else the located error and exit 1. */
export function registerSchemaCommand(program: Command): void {
  const schema = program.command("schema").description("work with QAPI schema files");
  schema
    .command("check")
    .description("parse and check a QAPI schema (and everything it includes)")
    .argument("<file>", "the main schema file, e.g. qapi/qapi-schema.json")
    .action((file: string) => {
      const loaded = loadSchema(file);
      const counts = countByKind(loaded.entities.flatMap(definitionKind)) || "no definitions";
      const files = loaded.files.length === 1 ? "1 file" : `${loaded.files.length} files`;
      process.stdout.write(`${file}: ok (${files}, ${counts})\n`);
    });
}

/** What the user wrote: built-ins, implicit objects and array types are not counted. */
function definitionKind(entity: Entity): string[] {
  if (entity.info === undefined || entity.meta === "array") return [];
  if (entity.meta === "object") return entity.implicit ? [] : [entity.kind];
  return [entity.meta];
}

function countByKind(kinds: string[]): string {
  const counts = new Map<string, number>();
  for (const kind of kinds) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return [...counts].map(([meta, n]) => `${n} ${meta}`).join(", ");
}
