import { type Command, Option } from "commander";
import { DEFAULT_QAPI_DIALECT, QAPI_DIALECTS, type QapiDialect } from "../../codegen/dialect.ts";
import { loadSchema } from "../../codegen/frontend.ts";
import type { Entity } from "../../codegen/ir.ts";

/** `jobshim schema check FILE`: exit 0 when the schema is valid, else the located error and exit 1. */
export function registerSchemaCommand(program: Command): void {
  const schema = program.command("schema").description("work with QAPI schema files");
  schema
    .command("check")
    .description("parse and check a QAPI schema (and everything it includes)")
    .argument("<file>", "the main schema file, e.g. qapi/qapi-schema.json")
    .addOption(qapiVersionOption())
    .action((file: string, flags: { qapiVersion: QapiDialect }) => {
      const loaded = loadSchema(file, { dialect: flags.qapiVersion });
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

/** `--qapi-version`: which QEMU release's QAPI language the schema is in (decision 0004). */
export function qapiVersionOption(): Option {
  return new Option(
    "--qapi-version <version>",
    "the QEMU release whose QAPI language the schema is written in",
  )
    .choices(QAPI_DIALECTS)
    .default(DEFAULT_QAPI_DIALECT);
}
