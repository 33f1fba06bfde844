/**
 * One codegen round in its own process: times each stage and the whole, prints JSON. The modules
 * are imported before the clock starts; the clock covers what `jobshim codegen` does per schema.
 */
import { performance } from "node:perf_hooks";
import { loadSchema } from "../codegen/frontend.ts";
import { generateFiles } from "../codegen/pipeline.ts";

const schemaPath = process.argv[2];
if (!schemaPath) throw new Error("usage: codegen-worker SCHEMA");

const start = performance.now();
const schema = loadSchema(schemaPath);
const loaded = performance.now();
const files = await generateFiles(schema);
const end = performance.now();

process.stdout.write(
  JSON.stringify({
    totalMs: end - start,
    stages: { "parse+check+ir": loaded - start, emitters: end - loaded },
    rssMb: process.resourceUsage().maxRSS / 1024,
    entities: schema.entities.length,
    files: files.length,
  }),
);
